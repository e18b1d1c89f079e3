// The PROXY header reader on a loopback connection: it sleeps while a header is incomplete
// (no polling), consumes exactly the header, and keeps its deadline.
#include "kpp/net/proxy_protocol_reader.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using kpp::net::proxy_protocol_outcome;
using kpp::net::proxy_protocol_reader;
using namespace std::chrono_literals;

struct connection {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket client{io};
  tcp::socket server{io};
  kpp::net::session_settings settings;
  std::optional<proxy_protocol_outcome> outcome;

  connection() {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
    settings.proxy_protocol = true;
    settings.proxy_protocol_timeout = 10s;
  }
  void send(std::string_view bytes) { asio::write(client, asio::buffer(bytes)); }
  void start_reading() {
    asio::co_spawn(
        io,
        [this]() -> asio::awaitable<void> {
          proxy_protocol_reader reader(settings);
          outcome = co_await reader.read(server);
        },
        asio::detached);
  }
  // Runs handlers for `d`; returns how many ran.
  std::size_t run_for(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    std::size_t n = 0;
    while (!outcome && std::chrono::steady_clock::now() < until) n += io.run_one_until(until);
    return n;
  }
  void run_to_outcome() {
    while (!outcome && io.run_one_for(20s) > 0) {
    }
  }
  std::string rest() {  // what the session would read next
    std::array<char, 64> buf{};
    auto n = server.read_some(asio::buffer(buf));
    return {buf.data(), n};
  }
};

TEST(ProxyProtocolReader, SleepsWhileAHeaderIsIncomplete) {
  connection c;
  c.send("PROXY TCP4 10.1.2.3 10.0.0");
  c.start_reading();
  // Waiting for the rest of the line costs no wake-ups (a 2 ms poll would run ~150 here).
  EXPECT_LT(c.run_for(300ms), 10u);
  EXPECT_FALSE(c.outcome);
  c.send(".1 5555 9092\r\n");
  c.send(std::string_view("\0\0\0\x05kafka", 9));
  c.run_to_outcome();
  ASSERT_TRUE(c.outcome);
  EXPECT_TRUE(c.outcome->ok) << c.outcome->message;
  EXPECT_EQ(c.outcome->source, "10.1.2.3:5555");
  EXPECT_EQ(c.rest(), std::string("\0\0\0\x05kafka", 9));
}

TEST(ProxyProtocolReader, AV2HeaderInPiecesLeavesTheFirstFrameInTheSocket) {
  connection c;
  // v2 PROXY TCP4 192.0.2.10:51234 -> 10.128.0.5:9092.
  const unsigned char raw[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                               0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 192,  0,    2,    10,
                               10,   128,  0,    5,    0xC8, 0x22, 0x23, 0x84};
  const std::string header(reinterpret_cast<const char*>(raw), sizeof raw);
  c.start_reading();
  for (char ch : header) {
    c.send(std::string_view(&ch, 1));
    c.run_for(2ms);
  }
  c.send("next");
  c.run_to_outcome();
  ASSERT_TRUE(c.outcome);
  EXPECT_TRUE(c.outcome->ok) << c.outcome->message;
  EXPECT_EQ(c.outcome->source, "192.0.2.10:51234");
  EXPECT_EQ(c.rest(), "next");
}

TEST(ProxyProtocolReader, GivesUpAtItsDeadline) {
  connection c;
  c.settings.proxy_protocol_timeout = 100ms;
  c.send("PROXY TCP4 ");
  c.start_reading();
  c.run_to_outcome();
  ASSERT_TRUE(c.outcome);
  EXPECT_FALSE(c.outcome->ok);
  EXPECT_NE(c.outcome->message.find("within 100 ms"), std::string::npos) << c.outcome->message;
}

TEST(ProxyProtocolReader, APeerThatLeavesMidHeaderIsNoticedAtOnce) {
  connection c;
  c.send("PROXY TCP4 10.1.2.3");
  c.start_reading();
  c.run_for(20ms);
  c.client.close();
  c.run_to_outcome();
  ASSERT_TRUE(c.outcome);
  EXPECT_FALSE(c.outcome->ok);
  EXPECT_NE(c.outcome->message.find("closed before a complete"), std::string::npos)
      << c.outcome->message;
}

TEST(ProxyProtocolReader, AnInvalidHeaderIsRefused) {
  connection c;
  c.send("GET / HTTP/1.1\r\n\r\n");
  c.start_reading();
  c.run_to_outcome();
  ASSERT_TRUE(c.outcome);
  EXPECT_FALSE(c.outcome->ok);
  EXPECT_NE(c.outcome->message.find("invalid PROXY"), std::string::npos) << c.outcome->message;
}

}  // namespace
