// Opening a connection to a broker, for sessions, discovery and `check` alike. One deadline
// covers every step: the DNS lookup, the TCP connect and, with upstream.tls, the TLS handshake
// (further steps such as a SASL login run against the same deadline). The result is the
// upstream leg as a byte_stream: plain TCP, or TLS over it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "kpp/net/byte_stream.h"
#include "kpp/net/tls_context_store.h"
#include "kpp/net/tls_handshake_cause.h"
#include "kpp/net/tls_settings.h"
#include "kpp/net/upstream_login.h"
#include "kpp/routing/host_port.h"

namespace kpp::net {

enum class dial_errc : std::uint8_t {
  resolve_failed = 1,    // the name does not resolve (or the resolver failed)
  resolve_timed_out,     // the DNS lookup did not finish within the deadline
  connect_failed,        // every resolved address refused or was unreachable
  connect_timed_out,     // no address accepted within the deadline
  tls_handshake_failed,  // TCP connected, the TLS handshake failed (tls_cause says why)
  login_failed,          // the SASL login (upstream.sasl) was refused or broke off
  login_timed_out,       // the SASL login did not finish within the deadline
};

[[nodiscard]] const std::error_category& dial_category() noexcept;
[[nodiscard]] std::error_code make_error_code(dial_errc e) noexcept;

struct dial_error {
  std::error_code code;             // a dial_errc
  boost::system::error_code cause;  // the resolver's, socket's or TLS error; empty on a timeout
  std::string message;              // for a log line: address, step and what happened
  std::optional<tls_handshake_cause> tls_cause;  // set for tls_handshake_failed
};

// TLS to the brokers (upstream.tls): the store's current context serves each new handshake
// (a certificate rotation affects later dials only); the settings give the name to verify.
struct dial_tls {
  std::shared_ptr<tls_context_store> store;
  tls_client_settings settings;
};

struct dial_options {
  std::chrono::milliseconds timeout{10000};  // timeouts.dial: lookup + connect (+ TLS, SASL)
  std::shared_ptr<const dial_tls> tls{};     // null: plaintext
  // upstream.sasl: log in on every connection before it is used; null: no login.
  std::shared_ptr<const upstream_login_settings> login{};
};

class upstream_dialer {
 public:
  explicit upstream_dialer(dial_options options) : options_(std::move(options)) {}

  // Connects to `address` and puts the connected leg in `stream` (a plain_stream, or a
  // tls_stream once the handshake is done), logged in with options().login when set.
  // `stream` is replaced at the start by a fresh unconnected stream: the caller may close() it
  // from elsewhere to abort the dial. On a failure `stream` is closed. `server_host` is the
  // name the broker's certificate must hold (and the SNI) when upstream.tls.server_name is not
  // set: the broker's own host, which differs from address.host when a dial mapping rewrote the
  // address; empty: address.host. `session_lifetime_ms`, when given, receives the broker's
  // SASL session lifetime (0: none, or no login).
  [[nodiscard]] boost::asio::awaitable<std::optional<dial_error>> connect(
      std::unique_ptr<byte_stream>& stream, const routing::host_port& address,
      std::string_view server_host = {}, std::int64_t* session_lifetime_ms = nullptr) const;

  [[nodiscard]] const dial_options& options() const noexcept { return options_; }

 private:
  dial_options options_;
};

}  // namespace kpp::net

template <>
struct std::is_error_code_enum<kpp::net::dial_errc> : std::true_type {};
