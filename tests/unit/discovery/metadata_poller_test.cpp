// The metadata poller against loopback sockets that accept and never answer: what a round
// does when SIGHUP replaces the settings while it is suspended in a dial or an exchange.
#include "kpp/discovery/metadata_poller.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "kpp/protocol/api_versions_response.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using kpp::discovery::metadata_poller;
using kpp::discovery::poll_failure;
using kpp::discovery::poll_outcome;
using kpp::discovery::poller_settings;
using kpp::routing::host_port;
using namespace std::chrono_literals;

// A loopback port that accepts connections, counts them and never says a word.
struct silent_broker {
  explicit silent_broker(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      accepted.push_back(std::move(s));
      if (on_accept) on_accept();
      accept();
    });
  }
  [[nodiscard]] host_port address() const {
    return {"127.0.0.1", acceptor.local_endpoint().port()};
  }
  tcp::acceptor acceptor;
  std::vector<tcp::socket> accepted;
  std::function<void()> on_accept;
};

TEST(MetadataPoller, SettingsReplacedDuringARoundDoNotPullTheListFromUnderIt) {
  asio::io_context io;
  kpp::admin::registry metrics;
  kpp::net::proxy_context ctx;
  ctx.metrics = &metrics;
  silent_broker first(io), second(io), replacement(io), decoy(io);

  poller_settings settings;
  settings.bootstrap = {first.address(), second.address()};
  settings.timeout = 300ms;
  metadata_poller poller(ctx, settings, {});

  // SIGHUP while the round waits on the first server: the new list replaces the old one,
  // and a vector of the same size allocated right after takes the freed memory (a use of
  // the old list would then read the decoy's address).
  std::optional<std::vector<host_port>> reused;
  first.on_accept = [&] {
    poller_settings next;
    next.bootstrap = {replacement.address()};
    next.timeout = 300ms;
    poller.set_settings(std::move(next));
    reused.emplace(std::vector<host_port>{decoy.address(), decoy.address()});
  };

  std::optional<poll_outcome> outcome;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { outcome = co_await poller.poll_once(); },
      asio::detached);
  while (!outcome && io.run_one_for(10s) > 0) {
  }
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(outcome->view);
  // The round in progress finished with the list it started with.
  EXPECT_EQ(first.accepted.size(), 1u);
  EXPECT_EQ(second.accepted.size(), 1u);
  EXPECT_EQ(decoy.accepted.size(), 0u);
  EXPECT_EQ(replacement.accepted.size(), 0u);
  EXPECT_NE(outcome->error.find(second.address().str()), std::string::npos) << outcome->error;

  // The next round uses the new list.
  outcome.reset();
  first.on_accept = nullptr;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { outcome = co_await poller.poll_once(); },
      asio::detached);
  while (!outcome && io.run_one_for(10s) > 0) {
  }
  ASSERT_TRUE(outcome);
  EXPECT_EQ(replacement.accepted.size(), 1u);
  EXPECT_EQ(first.accepted.size(), 1u);
}

// A SASL listener as Kafka 4 and kfake have it: ApiVersions is answered before
// authentication; any other request closes the connection without a word. One connection,
// served on its own thread with blocking I/O (the poller runs on the test's io_context).
struct sasl_only_broker {
  sasl_only_broker() : thread([this] { run(); }) {}
  ~sasl_only_broker() {
    // Wake an accept still waiting (the poller never came) with a connection that says nothing.
    boost::system::error_code ec;
    tcp::socket wake(io);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    wake.close(ec);
    thread.join();
  }
  void run() {
    boost::system::error_code ec;
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    std::array<std::uint8_t, 4> size{};
    while (!ec) {
      asio::read(socket, asio::buffer(size), ec);
      if (ec) break;
      std::vector<std::uint8_t> req((size[0] << 24) | (size[1] << 16) | (size[2] << 8) | size[3]);
      asio::read(socket, asio::buffer(req), ec);
      if (ec || req.size() < 8) break;
      const int key = (req[0] << 8) | req[1];
      ++requests;
      if (key != 18) break;  // not ApiVersions: hang up, as before authentication
      kpp::protocol::api_versions_response r;
      r.api_keys = {{18, 0, 3, {}}, {3, 0, 12, {}}, {17, 0, 1, {}}, {36, 0, 2, {}}};
      kpp::protocol::byte_buffer body;
      kpp::protocol::encode_api_versions_response(r, 0, body);
      const auto n = static_cast<std::uint32_t>(4 + body.size());
      std::vector<std::uint8_t> frame = {std::uint8_t(n >> 24),
                                         std::uint8_t(n >> 16),
                                         std::uint8_t(n >> 8),
                                         std::uint8_t(n),
                                         req[4],
                                         req[5],
                                         req[6],
                                         req[7]};  // correlation id
      for (auto b : body) frame.push_back(static_cast<std::uint8_t>(b));
      asio::write(socket, asio::buffer(frame), ec);
    }
    socket.close(ec);
  }
  [[nodiscard]] host_port address() const { return {"127.0.0.1", port}; }

  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::uint16_t port = acceptor.local_endpoint().port();
  std::atomic<int> requests{0};
  std::thread thread;  // last: starts once the acceptor listens
};

poll_outcome one_round(asio::io_context& io, metadata_poller& poller) {
  std::optional<poll_outcome> outcome;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { outcome = co_await poller.poll_once(); },
      asio::detached);
  while (!outcome && io.run_one_for(10s) > 0) {
  }
  return outcome.value_or(poll_outcome{});
}

TEST(MetadataPoller, ABrokerThatClosesOnMetadataAfterApiVersionsRequiresSasl) {
  asio::io_context io;
  kpp::admin::registry metrics;
  kpp::net::proxy_context ctx;
  ctx.metrics = &metrics;
  sasl_only_broker broker;
  poller_settings settings;
  settings.bootstrap = {broker.address()};
  settings.timeout = 5s;
  metadata_poller poller(ctx, settings, {});
  const auto outcome = one_round(io, poller);
  EXPECT_FALSE(outcome.view);
  EXPECT_EQ(outcome.failure, poll_failure::sasl_required) << outcome.error;
  EXPECT_EQ(broker.requests, 2);  // ApiVersions, Metadata
  EXPECT_NE(outcome.error.find("requires SASL"), std::string::npos) << outcome.error;
  // Passive discovery is a mode, not a failing round.
  EXPECT_EQ(metrics.discovery_failures(), 0u);
}

TEST(MetadataPoller, WithALoginTheSameBrokerIsALoginFailure) {
  asio::io_context io;
  kpp::admin::registry metrics;
  kpp::net::proxy_context ctx;
  ctx.metrics = &metrics;
  sasl_only_broker broker;
  poller_settings settings;
  settings.bootstrap = {broker.address()};
  settings.timeout = 5s;
  auto login = std::make_shared<kpp::net::upstream_login_settings>();
  login->username = "u";
  login->password = "p";
  settings.login = login;
  metadata_poller poller(ctx, settings, {});
  const auto outcome = one_round(io, poller);
  EXPECT_FALSE(outcome.view);
  // The login's SaslHandshake is refused (closed) by this broker: discovery.sasl is tried.
  EXPECT_EQ(outcome.failure, poll_failure::login_failed) << outcome.error;
  EXPECT_NE(outcome.error.find("login as u failed"), std::string::npos) << outcome.error;
  EXPECT_EQ(metrics.discovery_failures(), 1u);
}

}  // namespace
