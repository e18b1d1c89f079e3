// Opening a connection to a broker, for sessions and for discovery alike. One deadline covers
// every step: the DNS lookup, the TCP connect and, as they are added, the TLS handshake and
// the SASL login (each a further step of connect(), run against the same deadline).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "kpp/net/upstream_login.h"
#include "kpp/routing/host_port.h"

namespace kpp::net {

enum class dial_errc : std::uint8_t {
  resolve_failed = 1,  // the name does not resolve (or the resolver failed)
  resolve_timed_out,   // the DNS lookup did not finish within the deadline
  connect_failed,      // every resolved address refused or was unreachable
  connect_timed_out,   // no address accepted within the deadline
  login_failed,        // the SASL login (upstream.sasl) was refused or broke off
  login_timed_out,     // the SASL login did not finish within the deadline
};

[[nodiscard]] const std::error_category& dial_category() noexcept;
[[nodiscard]] std::error_code make_error_code(dial_errc e) noexcept;

struct dial_error {
  std::error_code code;             // a dial_errc
  boost::system::error_code cause;  // the resolver's or the socket's error; empty on a timeout
  std::string message;              // for a log line: address, step and what happened
};

struct dial_options {
  std::chrono::milliseconds timeout{10000};  // timeouts.dial: lookup + connect (+ TLS, SASL)
  // upstream.sasl: log in on every connection before it is used; null: no login.
  std::shared_ptr<const upstream_login_settings> login;
};

class upstream_dialer {
 public:
  explicit upstream_dialer(dial_options options) : options_(options) {}

  // Connects `s` to `address` (and logs in, with options().login). Returns the failure, or
  // nothing once `s` is ready for requests. On a failure `s` is closed; nothing refers to `s`
  // once this returns. `session_lifetime_ms`, when given, receives the broker's SASL session
  // lifetime (0: none, or no login).
  [[nodiscard]] boost::asio::awaitable<std::optional<dial_error>> connect(
      boost::asio::ip::tcp::socket& s, const routing::host_port& address,
      std::int64_t* session_lifetime_ms = nullptr) const;

  [[nodiscard]] const dial_options& options() const noexcept { return options_; }

 private:
  dial_options options_;
};

}  // namespace kpp::net

template <>
struct std::is_error_code_enum<kpp::net::dial_errc> : std::true_type {};
