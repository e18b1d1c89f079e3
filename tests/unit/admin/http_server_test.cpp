#include "kpp/admin/http_server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kpp::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Client sockets time out on their own, so a server that never answers fails the test
// instead of hanging it.
void set_receive_timeout(tcp::socket& s, std::chrono::seconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count());
  ASSERT_EQ(::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
}

// The server under test on its own io_context thread.
class ServerFixture : public ::testing::Test {
 protected:
  void start(http_server_options opts = {}) {
    opts.address = "127.0.0.1";
    opts.port = 0;
    server_ = std::make_unique<http_server>(
        ioc_, opts,
        [this] {
          admin_state s;
          s.ready = ready_.load();
          s.not_ready_reason = "discovery pending";
          s.render_metrics = [](std::string& out) { out += "kafka_psc_proxy_ready 1\n"; };
          return s;
        },
        [this](log_level, std::string_view msg) {
          std::lock_guard lock(log_mu_);
          logs_.emplace_back(msg);
        });
    ASSERT_FALSE(server_->start());
    port_ = server_->local_endpoint().port();
    ASSERT_NE(port_, 0);
    runner_ = std::async(std::launch::async, [this] { ioc_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.valid()) {
      ASSERT_EQ(runner_.wait_for(10s), std::future_status::ready) << "io_context did not unwind";
    }
  }

  tcp::socket connect() {
    tcp::socket s(client_ioc_);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    set_receive_timeout(s, 10s);
    return s;
  }

  http::response<http::string_body> request(tcp::socket& s, http::verb verb,
                                            const std::string& target, bool keep_alive = true) {
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    req.keep_alive(keep_alive);
    http::write(s, req);
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head);  // a HEAD response has no body to read
    http::read(s, buffer_, parser);
    return parser.release();
  }

  // Reads until the server closes; true on a clean EOF.
  static bool reads_eof(tcp::socket& s) {
    std::array<char, 256> buf{};
    boost::system::error_code ec;
    for (;;) {
      s.read_some(asio::buffer(buf), ec);
      if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
  }

  // Polls a condition the server thread makes true.
  template <class Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::yield();
    }
    return pred();
  }

  asio::io_context ioc_;
  asio::io_context client_ioc_;
  std::unique_ptr<http_server> server_;
  std::future<void> runner_;
  std::uint16_t port_ = 0;
  std::atomic<bool> ready_{false};
  beast::flat_buffer buffer_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

TEST_F(ServerFixture, HealthIsOk) {
  start();
  auto s = connect();
  auto res = request(s, http::verb::get, "/health", false);
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ok\n");
  EXPECT_TRUE(reads_eof(s)) << "Connection: close must end the session";
}

TEST_F(ServerFixture, ReadyFlipsFrom503To200) {
  start();
  auto s = connect();
  auto before = request(s, http::verb::get, "/ready");
  EXPECT_EQ(before.result(), http::status::service_unavailable);
  EXPECT_EQ(before.body(), "not ready: discovery pending\n");
  ready_ = true;
  auto after = request(s, http::verb::get, "/ready");
  EXPECT_EQ(after.result(), http::status::ok);
  EXPECT_EQ(after.body(), "ready\n");
}

TEST_F(ServerFixture, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  auto s = connect();
  auto a = request(s, http::verb::get, "/health");
  auto b = request(s, http::verb::head, "/metrics");
  auto c = request(s, http::verb::get, "/metrics");
  EXPECT_EQ(a.result(), http::status::ok);
  EXPECT_EQ(b.result(), http::status::ok);
  EXPECT_EQ(b[http::field::content_length], "24");
  EXPECT_EQ(c.body(), "kafka_psc_proxy_ready 1\n");
  EXPECT_TRUE(c.keep_alive());
  EXPECT_EQ(server_->open_sessions(), 1u);
}

TEST_F(ServerFixture, UnknownPathAndMethod) {
  start();
  auto s = connect();
  EXPECT_EQ(request(s, http::verb::get, "/nope").result(), http::status::not_found);
  auto res = request(s, http::verb::post, "/health");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD");
}

TEST_F(ServerFixture, SilentClientIsClosedByTheDeadline) {
  http_server_options opts;
  opts.io_timeout = 200ms;
  start(opts);
  auto s = connect();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(reads_eof(s));  // blocks until the server gives up on us
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 5s);
  EXPECT_TRUE(eventually([&] { return server_->open_sessions() == 0; }));
}

TEST_F(ServerFixture, PartialRequestIsClosedByTheDeadline) {
  http_server_options opts;
  opts.io_timeout = 300ms;
  start(opts);
  auto s = connect();
  asio::write(s, asio::buffer(std::string_view("GET /hea")));
  EXPECT_TRUE(reads_eof(s));
}

TEST_F(ServerFixture, TricklingClientIsClosedByTheDeadline) {
  http_server_options opts;
  opts.io_timeout = 300ms;
  start(opts);
  auto s = connect();
  // One byte every 20 ms would take ~1 s to finish this request; the deadline covers the
  // whole request, not each read, so the server must give up at ~300 ms.
  const std::string raw =
      "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(20, 'p') + "\r\n\r\n";
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  auto writer = std::async(std::launch::async, [&] {
    boost::system::error_code ec;
    for (char c : raw) {
      if (done || asio::write(s, asio::buffer(&c, 1), ec) != 1 || ec) return;
      std::this_thread::sleep_for(20ms);  // pacing the trickle, not waiting for a result
    }
  });
  EXPECT_TRUE(reads_eof(s));
  done = true;
  writer.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 900ms);
}

TEST_F(ServerFixture, OversizedBodyGets413) {
  http_server_options opts;
  opts.body_limit = 16;
  start(opts);
  auto s = connect();
  std::string raw =
      "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
  asio::write(s, asio::buffer(raw));
  http::response<http::string_body> res;
  http::read(s, buffer_, res);
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerFixture, GarbageGets400) {
  start();
  auto s = connect();
  asio::write(s, asio::buffer(std::string_view("\x16\x03\x01 not http\r\n\r\n")));
  http::response<http::string_body> res;
  http::read(s, buffer_, res);
  EXPECT_EQ(res.result(), http::status::bad_request);
}

// Defect 10 of issue 14: 64 idle keep-alive sessions made every probe refused, so a load
// balancer saw a dead replica. Now a new connection takes the place of the session that has
// waited longest for a request.
TEST_F(ServerFixture, IdleKeepAliveSessionsDoNotStarveProbes) {
  http_server_options opts;  // the default max_sessions (64)
  start(opts);
  std::vector<tcp::socket> idle;
  for (std::size_t i = 0; i < opts.max_sessions; ++i) {
    idle.push_back(connect());
    EXPECT_EQ(request(idle.back(), http::verb::get, "/health").result(), http::status::ok);
  }
  EXPECT_TRUE(eventually([&] { return server_->open_sessions() == opts.max_sessions; }));
  for (int probe = 0; probe < 3; ++probe) {
    auto s = connect();
    EXPECT_EQ(request(s, http::verb::get, "/health", false).result(), http::status::ok) << probe;
  }
  // The ones that made room are the longest idle.
  EXPECT_TRUE(reads_eof(idle.front()));
  EXPECT_LE(server_->open_sessions(), opts.max_sessions);
}

TEST_F(ServerFixture, AKeptAliveConnectionIsClosedAfterTheKeepAliveIdle) {
  http_server_options opts;
  opts.io_timeout = 30s;
  opts.keep_alive_idle = 100ms;
  start(opts);
  auto s = connect();
  EXPECT_EQ(request(s, http::verb::get, "/health").result(), http::status::ok);
  EXPECT_TRUE(reads_eof(s));  // the receive timeout (10 s) fails this instead of io_timeout
  EXPECT_TRUE(eventually([&] { return server_->open_sessions() == 0; }));
}

TEST_F(ServerFixture, StopClosesAcceptorAndOpenSessions) {
  start();
  auto s = connect();
  EXPECT_EQ(request(s, http::verb::get, "/health").result(), http::status::ok);
  ASSERT_EQ(server_->open_sessions(), 1u);
  server_->stop();
  EXPECT_TRUE(reads_eof(s)) << "an idle keep-alive session must be closed by stop()";
  // With acceptor and sessions gone, the io_context runs out of work.
  ASSERT_EQ(runner_.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(server_->open_sessions(), 0u);
  tcp::socket late(client_ioc_);
  boost::system::error_code ec;
  late.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
}

// Restores the soft file-descriptor limit however the test ends.
struct fd_limit_guard {
  rlimit saved{};
  fd_limit_guard() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  ~fd_limit_guard() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

TEST_F(ServerFixture, AcceptErrorIsLoggedAndRetried) {
  http_server_options opts;
  opts.accept_retry_delay = 20ms;
  start(opts);
  fd_limit_guard guard;
  // Open the client's socket first (its reactor allocates descriptors too), then allow no
  // new descriptor at all: the server's accept fails with EMFILE while the connection
  // waits in the backlog.
  tcp::socket s(client_ioc_);
  s.open(tcp::v4());
  set_receive_timeout(s, 10s);
  int probe = ::dup(0);
  ASSERT_GE(probe, 0);
  ::close(probe);
  rlimit tight = guard.saved;
  tight.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  s.connect({asio::ip::make_address("127.0.0.1"), port_});
  http::request<http::empty_body> req{http::verb::get, "/health", 11};
  req.set(http::field::host, "localhost");
  http::write(s, req);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log_mu_);
    for (const auto& l : logs_)
      if (l.find("accept failed") != std::string::npos) return true;
    return false;
  }));
  ::setrlimit(RLIMIT_NOFILE, &guard.saved);
  // The loop kept going: after the back-off the same connection is accepted and served.
  http::response<http::string_body> res;
  http::read(s, buffer_, res);
  EXPECT_EQ(res.result(), http::status::ok);
}

TEST(HttpServer, BindErrorIsReturnedAsValue) {
  asio::io_context ioc;
  auto state = [] { return admin_state{}; };
  http_server first(ioc, {.address = "127.0.0.1", .port = 0}, state);
  ASSERT_FALSE(first.start());
  http_server_options taken;
  taken.address = "127.0.0.1";
  taken.port = first.local_endpoint().port();
  http_server second(ioc, taken, state);
  EXPECT_EQ(second.start(), std::errc::address_in_use);

  http_server bad(ioc, {.address = "not-an-address", .port = 0}, state);
  EXPECT_TRUE(bad.start());

  EXPECT_TRUE(first.start()) << "starting twice is an error";
}

}  // namespace
}  // namespace kpp::admin
