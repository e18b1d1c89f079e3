// One client connection and its upstream connection. Two coroutines move bytes: the request
// pump (client -> upstream) records every request in the in-flight FIFO; the response pump
// (upstream -> client) matches each response to the FIFO head and either streams it through
// a pooled buffer untouched or assembles and rewrites it through the protocol layer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "kpp/admin/metrics.h"
#include "kpp/net/buffer_pool.h"
#include "kpp/net/byte_stream.h"
#include "kpp/net/inflight_fifo.h"
#include "kpp/net/proxy_context.h"
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
  struct pump_state;
  struct gather;

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> read_proxy_header();
  boost::asio::awaitable<bool> classify_first_bytes();
  boost::asio::awaitable<bool> dial();
  boost::asio::awaitable<std::size_t> fill(byte_stream& from, pump_state& st,
                                           boost::system::error_code& ec);
  boost::asio::awaitable<bool> flush(byte_stream& to, gather& out);
  boost::asio::awaitable<void> request_pump();
  boost::asio::awaitable<void> response_pump();
  boost::asio::awaitable<void> watchdog();

  // Per-frame decisions. Return false to end the session (after logging and counting).
  enum class verdict : std::uint8_t { stream, assemble, need_more, fail };
  verdict on_request(protocol::bytes_view payload, std::size_t frame_size, std::size_t* need);
  verdict on_response(protocol::bytes_view payload, std::size_t frame_size);
  boost::asio::awaitable<bool> write_rewritten(protocol::bytes_view payload);

  void fail(admin::protocol_error_cause cause, const std::string& what);
  void close(admin::close_reason reason);
  void touch() noexcept { last_activity_ = std::chrono::steady_clock::now(); }
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
  std::string sasl_mechanism_;  // from the client's SaslHandshake, for the diagnostic
  inflight_fifo fifo_;
  boost::asio::steady_timer fifo_space_;  // signalled when the FIFO drops below capacity
  boost::asio::steady_timer pumps_done_;  // signalled when the response pump ends
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point write_started_{};
  bool writing_ = false;
  bool sasl_raw_ = false;  // after SaslHandshake v0: raw tokens until a Kafka request shows up
  bool closed_ = false;
  bool draining_ = false;
  bool response_pump_running_ = false;
  admin::close_reason reason_ = admin::close_reason::client_closed;
  protocol::byte_buffer scratch_;  // assembled frame being rewritten
  protocol::byte_buffer rewritten_;
};

}  // namespace kpp::net
