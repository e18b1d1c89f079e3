// The admin HTTP server: Beast's awaitable accept/session loop around the pure router.
// Everything runs on one strand of the given io_context (admin traffic is a probe and a
// scrape now and then), so stop() can close the acceptor and the open sessions safely
// from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "kpp/admin/router.h"

namespace kpp::admin {

enum class log_level : std::uint8_t { debug, warn, error };
// The app forwards these to its logger; this layer does not depend on one.
using log_callback = std::function<void(log_level, std::string_view)>;

struct http_server_options {
  std::string address = "0.0.0.0";  // numeric IPv4 or IPv6 address
  std::uint16_t port = 0;           // 0: an ephemeral port (tests)
  // Deadline for reading one whole request, and for writing one response: a client that
  // trickles or sends nothing is closed when it passes.
  std::chrono::milliseconds io_timeout{10000};
  // How long a kept-alive connection may wait for its next request. Short: probes and
  // scrapes come seconds apart, and an idle connection holds one of max_sessions.
  std::chrono::milliseconds keep_alive_idle{2000};
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024;  // GET and HEAD carry no body worth reading
  // At most this many connections at once, so a misbehaving scraper cannot exhaust the
  // process's file descriptors. At the limit a new connection closes the session that has
  // waited longest for a request (idle keep-alive first of all): health probes keep being
  // served. Only when every session is busy writing is the new connection closed.
  std::size_t max_sessions = 64;
  std::chrono::milliseconds accept_retry_delay{100};  // after an accept error (EMFILE, ...)
};

class http_server {
 public:
  // `state` is called once per request, on the server's strand; it must be thread-safe with
  // respect to whoever updates what it reads.
  http_server(boost::asio::io_context& ioc, http_server_options options,
              std::function<admin_state()> state, log_callback log = {});
  ~http_server();  // stop()s; sessions still running finish on the io_context
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and listens synchronously, then spawns the accept loop. Bind errors (address in
  // use, bad address, permission) come back as a value so the app can exit with a clear
  // message; nothing is spawned then.
  [[nodiscard]] std::error_code start();
  // The bound endpoint (the real port when options.port was 0); valid after start().
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Closes the acceptor and every open session. Idempotent, callable from any thread;
  // the io_context's run() returns once the loops have unwound.
  void stop();
  // Sessions currently open (for tests and diagnostics).
  [[nodiscard]] std::size_t open_sessions() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace kpp::admin
