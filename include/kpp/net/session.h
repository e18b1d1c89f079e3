// One client connection and its upstream connection. Two frame pumps move bytes, one per
// direction, over byte streams (plain TCP or TLS, picked per leg): the request side records
// every request in the tracker; the response side matches each response to the oldest request
// and either forwards it untouched or assembles and rewrites it through the protocol layer.
// This file keeps the lifecycle: accept, PROXY header, first bytes, dial, pumps, close.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "kpp/admin/metrics.h"
#include "kpp/auth/sasl_login.h"
#include "kpp/net/byte_stream.h"
#include "kpp/net/close_reason.h"
#include "kpp/net/frame_pump.h"
#include "kpp/net/proxy_context.h"
#include "kpp/net/request_tracker.h"
#include "kpp/net/upstream_target.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

class session : public std::enable_shared_from_this<session> {
 public:
  session(proxy_context& ctx, boost::asio::ip::tcp::socket client, upstream_target target,
          std::shared_ptr<admin::listener_metrics> listener);
  ~session();

  // Runs the session to its end on the client socket's executor.
  static void start(std::shared_ptr<session> self);
  // Shutdown: stop taking requests, close once nothing is in flight. Thread-safe.
  void drain();
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

 private:
  using tcp = boost::asio::ip::tcp;
  class request_side;
  class response_side;

  // Every coroutine of the session starts here: an exception it throws ends the session
  // (internal_error), never the process.
  template <class F>
  void spawn(F&& f);
  void on_exception(const std::exception_ptr& e);

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> read_proxy_header();
  boost::asio::awaitable<bool> classify_first_bytes();
  boost::asio::awaitable<bool> client_tls_handshake(protocol::bytes_view head);
  void route_by_sni(const sni_route& route);  // routing: sni, after the handshake
  // The TLS context store of this connection's listener; null: plaintext.
  [[nodiscard]] const std::shared_ptr<tls_context_store>& listener_tls() const noexcept {
    return target_.client_tls ? *target_.client_tls : ctx_.client_tls;
  }
  boost::asio::awaitable<bool> dial();
  boost::asio::awaitable<void> request_pump();
  boost::asio::awaitable<void> response_pump();
  boost::asio::awaitable<void> watchdog();
  [[nodiscard]] bool brokers_turn() const noexcept;  // timeouts.read applies (session.cpp)
  // upstream.sasl (session_sasl.cpp): the answer to a client that sends SASL itself.
  [[nodiscard]] frame_outcome check_client_sasl(protocol::bytes_view head, std::size_t frame_size);
  boost::asio::awaitable<void> refuse_client_sasl();
  // upstream.sasl with a session lifetime (session_reauth.cpp): KIP-368 re-authentication on
  // the live upstream connection before the broker's SASL session expires.
  boost::asio::awaitable<void> reauthenticate();
  boost::asio::awaitable<bool> reauthenticate_once(std::chrono::steady_clock::time_point give_up);
  boost::asio::awaitable<bool> reauth_wait(std::chrono::steady_clock::time_point deadline);
  bool reauth_send(auth::login_request req);
  boost::asio::awaitable<void> reauth_write(protocol::byte_buffer frame);
  bool take_reauth_answer(protocol::bytes_view payload);
  void reauth_failed(const std::string& why);
  void reauth_wake() noexcept;
  // Neither pump is inside a frame on the upstream leg and no answer is owed to the client.
  [[nodiscard]] bool upstream_between_requests() const noexcept;
  void stop_between_requests(close_reason reason);
  // listeners.sasl (session_client_auth.cpp): the client's login, answered here.
  boost::asio::awaitable<bool> authenticate_client();
  boost::asio::awaitable<bool> client_login_exchange();
  boost::asio::awaitable<void> write_login_answer(std::int16_t key, std::int16_t version,
                                                  std::int32_t correlation,
                                                  const protocol::byte_buffer& body,
                                                  boost::system::error_code& ec);

  void fail(protocol_error_cause cause, const std::string& what);
  void close(close_reason reason);
  void finish() noexcept;  // counts the close once
  // The response side is between frames with nothing owed to the client.
  [[nodiscard]] bool responses_done() const noexcept;
  [[nodiscard]] std::string peer() const;

  proxy_context& ctx_;
  std::unique_ptr<byte_stream> client_;
  std::unique_ptr<byte_stream> upstream_;
  upstream_target target_;
  std::shared_ptr<admin::listener_metrics> listener_;
  admin::connection_guard listener_guard_;
  admin::connection_guard psc_guard_;
  std::uint64_t id_ = 0;  // connection id in every log line
  std::uint64_t registry_id_ = 0;
  std::string source_;  // client address, or the one the PROXY header carried
  std::string psc_id_;  // PSC connection id from the PROXY v2 TLV
  std::string upstream_name_;
  request_tracker tracker_;
  direction_state requests_;               // client -> upstream
  direction_state responses_;              // upstream -> client
  boost::asio::steady_timer fifo_space_;   // signalled when a response leaves the tracker
  boost::asio::steady_timer pumps_done_;   // signalled when the response pump ends
  boost::asio::steady_timer memory_wait_;  // signalled when assembly memory comes back
  // upstream.sasl with a session lifetime only (session_reauth.cpp). While `now` is not
  // idle the client's requests wait (the request side's must_wait). The timer is the
  // coroutine's every wait; close() cancels it, so a closed session is not held alive by it.
  struct reauth_state {
    enum class phase : std::uint8_t { idle, pausing, exchanging };
    phase now = phase::idle;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::unique_ptr<auth::sasl_login> login;  // the exchange under way
    auth::login_request step;                 // its request whose answer is awaited
    std::int32_t correlation = 0;             // that request's correlation id
    std::int32_t next_correlation = 0;
    int rounds = 0;
    std::optional<std::int64_t> renewed_lifetime_ms;  // set when the broker accepted
  };
  reauth_state reauth_;
  std::chrono::steady_clock::time_point started_;
  // timeouts.read also counts from here: the end of a wait that was not the broker's (assembly
  // memory, the proxy's own re-login).
  std::chrono::steady_clock::time_point read_clock_{};
  bool closed_ = false;
  bool finished_ = false;
  bool draining_ = false;
  bool client_done_ = false;  // the client half-closed: answer what it sent, then close
  bool response_pump_running_ = false;
  close_reason reason_ = close_reason::client_closed;
  close_reason drain_reason_ = close_reason::shutdown;  // why draining_ was set
  std::int64_t sasl_lifetime_ms_ = 0;  // the broker's SASL session lifetime (upstream.sasl)
  struct client_sasl_request {
    std::int16_t api_key = 0;
    std::int16_t api_version = 0;
    std::int32_t correlation_id = 0;
  };
  std::optional<client_sasl_request> client_sasl_;  // a SASL request refused (upstream.sasl)
  std::string principal_;                           // listeners.sasl: who logged in
  protocol::byte_buffer rewritten_;
};

}  // namespace kpp::net
