// The upstream dialer: typed failures, and a deadline that covers the DNS lookup (a stalled
// resolver must not hold a dial past timeouts.dial).
#include "kpp/net/upstream_dialer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>

#include "kpp/net/deadline.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using kpp::net::byte_stream;
using kpp::net::dial_errc;
using kpp::net::dial_error;
using kpp::net::upstream_dialer;
using namespace std::chrono_literals;

// A name whose lookup blocks until the test releases it (as getaddrinfo does when a DNS
// server does not answer), and one that does not exist.
constexpr std::string_view stalled_name = "stalled-dns.kpp.test";
constexpr std::string_view unknown_name = "unknown-host.kpp.test";

std::mutex lookup_mu;
std::condition_variable lookup_cv;
bool lookup_released = false;
std::atomic<bool> lookup_blocked{false};

void release_lookup() {
  std::lock_guard lock(lookup_mu);
  lookup_released = true;
  lookup_cv.notify_all();
}

}  // namespace

// Interposes the C library's getaddrinfo for this test binary only.
extern "C" int getaddrinfo(const char* __restrict name, const char* __restrict service,
                           const struct addrinfo* __restrict hints,
                           struct addrinfo** __restrict result) {
  using real_fn = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static const auto real = reinterpret_cast<real_fn>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (name != nullptr && std::string_view(name) == stalled_name) {
    std::unique_lock lock(lookup_mu);
    lookup_blocked = true;
    lookup_cv.wait_for(lock, 30s, [] { return lookup_released; });
    lookup_blocked = false;
    return EAI_AGAIN;
  }
  if (name != nullptr && std::string_view(name) == unknown_name) return EAI_NONAME;
  return real(name, service, hints, result);
}

namespace {

std::optional<dial_error> dial(asio::io_context& io, std::unique_ptr<byte_stream>& s,
                               kpp::routing::host_port to, std::chrono::milliseconds timeout,
                               bool* done = nullptr) {
  std::optional<dial_error> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        upstream_dialer dialer({.timeout = timeout, .tls = nullptr, .login = {}});
        out = co_await dialer.connect(s, to);
        if (done) *done = true;
      },
      asio::detached);
  io.run_for(20s);
  return out;
}

TEST(UpstreamDialer, DeadlineCoversTheDnsLookup) {
  asio::io_context io;
  std::unique_ptr<byte_stream> s;
  bool done = false;
  bool blocked_when_done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        upstream_dialer dialer({.timeout = 200ms, .tls = nullptr, .login = {}});
        const kpp::routing::host_port to{std::string(stalled_name), 9092};
        auto err = co_await dialer.connect(s, to);
        // The lookup is still stuck: the dial ended on its own deadline, not on the lookup.
        blocked_when_done = lookup_blocked.load();
        done = true;
        EXPECT_TRUE(err);
        if (!err) co_return;
        EXPECT_EQ(err->code, make_error_code(dial_errc::resolve_timed_out));
        EXPECT_NE(err->message.find("timeouts.dial"), std::string::npos) << err->message;
      },
      asio::detached);
  // Bounded: the interposed lookup gives up on its own after 30 s.
  while (!done && io.run_one_for(40s) > 0) {
  }
  EXPECT_TRUE(done);
  EXPECT_TRUE(blocked_when_done) << "the dial waited for the DNS lookup to finish";
  release_lookup();
}

TEST(UpstreamDialer, UnknownHostIsAResolveFailure) {
  asio::io_context io;
  std::unique_ptr<byte_stream> s;
  auto err = dial(io, s, {std::string(unknown_name), 9092}, 5s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, make_error_code(dial_errc::resolve_failed));
  EXPECT_TRUE(err->cause);
  EXPECT_NE(err->message.find(unknown_name), std::string::npos) << err->message;
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->socket().is_open());
}

TEST(UpstreamDialer, RefusedIsAConnectFailure) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: connecting is refused
  std::unique_ptr<byte_stream> s;
  auto err = dial(io, s, {"127.0.0.1", port}, 5s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, make_error_code(dial_errc::connect_failed));
  EXPECT_EQ(err->cause, asio::error::connection_refused);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->socket().is_open());
}

TEST(UpstreamDialer, ConnectsToAListeningPort) {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::unique_ptr<byte_stream> s;
  auto err = dial(io, s, {"localhost", a.local_endpoint().port()}, 5s);
  EXPECT_FALSE(err) << err->message;
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->socket().is_open());
  // Plain TCP stays a plain_stream, non-blocking for the pumps' read-first loop.
  EXPECT_NE(dynamic_cast<kpp::net::plain_stream*>(s.get()), nullptr);
  EXPECT_TRUE(s->socket().non_blocking());
}

TEST(WithDeadline, CancelsAndWaitsForTheOperationBeforeReturning) {
  // A wait that never completes on its own: at the deadline it is cancelled, and its handler
  // has run before with_deadline returns (nothing refers to the socket afterwards).
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(a.local_endpoint());
  tcp::socket server = a.accept();
  bool handler_ran = false;
  bool returned = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto start = [&](auto handler) {
          server.async_wait(tcp::socket::wait_read, [&handler_ran, handler = std::move(handler)](
                                                        boost::system::error_code ec) mutable {
            handler_ran = true;
            handler(ec);
          });
        };
        auto cancel = [&] { server.cancel(); };
        auto r = co_await kpp::net::with_deadline<boost::system::error_code>(
            start, cancel, std::chrono::steady_clock::now() + 50ms);
        EXPECT_TRUE(r.timed_out);
        EXPECT_TRUE(handler_ran);
        EXPECT_EQ(std::get<0>(r.values), asio::error::operation_aborted);
        returned = true;
      },
      asio::detached);
  io.run_for(10s);
  EXPECT_TRUE(returned);
}

}  // namespace
