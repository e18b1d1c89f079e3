// The metadata poller against loopback sockets that accept and never answer: what a round
// does when SIGHUP replaces the settings while it is suspended in a dial or an exchange.
#include "kpp/discovery/metadata_poller.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using kpp::discovery::metadata_poller;
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

}  // namespace
