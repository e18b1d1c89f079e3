// The TLS byte_stream over real loopback TCP: handshake (with SNI), the byte_stream calls
// the pumps make, half-close, and the handshake deadline.
#include "kpp/net/tls_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>

#include "tls_fixture.h"

namespace kpp::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class TlsStream : public test::tls_fixture {
 protected:
  // A connected loopback pair: {accepted, connected}.
  std::pair<tcp::socket, tcp::socket> pair() {
    tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(io);
    client.connect(acc.local_endpoint());
    return {acc.accept(), std::move(client)};
  }
  // Both ends of a loopback TLS connection, the client set up for "localhost" (null on failure).
  struct ends {
    std::unique_ptr<tls_stream> server, client;
  };
  ends tls_pair() {
    auto [a, b] = pair();
    ends e{std::make_unique<tls_stream>(std::move(a), server_ctx(server_settings())),
           std::make_unique<tls_stream>(std::move(b), client_ctx(client_settings()))};
    if (!prepare_client_ssl(e.client->native_handle(), client_settings(), "localhost")) return {};
    return e;
  }
  static asio::awaitable<void> handshake(tls_stream& s, ssl::stream_base::handshake_type type) {
    error_code ec;
    co_await s.handshake(type, std::chrono::seconds(10), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  static asio::awaitable<void> write_text(tls_stream& s, const std::string& text) {
    error_code ec;
    const std::array bufs{asio::const_buffer(text.data(), text.size())};
    co_await s.write(bufs, ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  void run() {
    io.run_for(std::chrono::seconds(20));  // bounded: a hang fails the checks below
  }
  asio::io_context io;
};

TEST_F(TlsStream, HandshakeThenBytesBothWaysThenHalfClose) {
  auto [server_end, client_end] = tls_pair();
  ASSERT_TRUE(server_end && client_end);
  tls_stream& server = *server_end;
  tls_stream& client = *client_end;
  std::string got_by_server, got_by_client, sni;
  bool server_saw_eof = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(server, ssl::stream_base::server);
        error_code ec;
        sni = std::string(sni_of(server.native_handle()));
        // The frame pump's loop: read without waiting, else wait and read again.
        std::array<char, 4> small{};
        while (got_by_server.size() < 11) {
          const auto n = server.try_read_some(asio::buffer(small), ec);
          if (ec == asio::error::would_block) {
            co_await server.wait_readable(ec);
            EXPECT_FALSE(ec) << ec.message();
            if (ec) co_return;
            continue;
          }
          EXPECT_FALSE(ec) << ec.message();
          if (ec) co_return;
          got_by_server.append(small.data(), n);  // 4 bytes at a time from one record
        }
        const std::string reply = "pong";
        const std::array bufs{asio::const_buffer(reply.data(), 2),
                              asio::const_buffer(reply.data() + 2, 2)};
        co_await server.write(bufs, ec);
        EXPECT_FALSE(ec) << ec.message();
        std::array<char, 8> more{};
        co_await server.wait_readable(ec);  // the end shows on the next read, as on a socket
        EXPECT_FALSE(ec) << ec.message();
        server.try_read_some(asio::buffer(more), ec);
        server_saw_eof = ec == asio::error::eof;
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(client, ssl::stream_base::client);
        error_code ec;
        co_await write_text(client, "hello world");
        std::array<char, 4> buf{};
        const auto n = co_await client.read_exactly(asio::buffer(buf), ec);
        got_by_client.assign(buf.data(), n);
        client.shutdown_send(ec);
        EXPECT_FALSE(ec) << ec.message();
      },
      asio::detached);
  run();
  EXPECT_EQ(sni, "localhost");
  EXPECT_EQ(got_by_server, "hello world");
  EXPECT_EQ(got_by_client, "pong");
  EXPECT_TRUE(server_saw_eof);
}

TEST_F(TlsStream, ReadsGoOnAfterOurOwnHalfClose) {
  // The session half-closes the upstream leg when the client does, then still reads the
  // answers to what the client sent: close_notify + FIN must not end our reading.
  auto [server_end, client_end] = tls_pair();
  ASSERT_TRUE(server_end && client_end);
  tls_stream& server = *server_end;
  tls_stream& client = *client_end;
  std::string got_by_client;
  bool server_saw_end = false;
  bool client_saw_end = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(server, ssl::stream_base::server);
        error_code ec;
        std::array<char, 16> buf{};
        co_await server.read_some(asio::buffer(buf), ec);
        server_saw_end = ec == asio::error::eof;
        co_await write_text(server, "late answer");
        server.shutdown_send(ec);
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(client, ssl::stream_base::client);
        error_code ec;
        client.shutdown_send(ec);
        EXPECT_FALSE(ec) << ec.message();
        std::array<char, 11> buf{};
        const auto n = co_await client.read_exactly(asio::buffer(buf), ec);
        got_by_client.assign(buf.data(), n);
        std::array<char, 4> more{};
        co_await client.read_some(asio::buffer(more), ec);
        client_saw_end = ec == asio::error::eof;
      },
      asio::detached);
  run();
  EXPECT_TRUE(server_saw_end);
  EXPECT_EQ(got_by_client, "late answer");
  EXPECT_TRUE(client_saw_end);
}

TEST_F(TlsStream, CloseSendsCloseNotifySoThePeerSeesACleanEnd) {
  // The session ends a connection with close(): the peer must get close_notify, not a cut.
  auto [server_end, client_end] = tls_pair();
  ASSERT_TRUE(server_end && client_end);
  tls_stream& server = *server_end;
  tls_stream& client = *client_end;
  bool client_saw_end = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(server, ssl::stream_base::server);
        co_await write_text(server, "last");
        server.close();
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await handshake(client, ssl::stream_base::client);
        error_code ec;
        std::array<char, 4> buf{};
        co_await client.read_exactly(asio::buffer(buf), ec);
        EXPECT_FALSE(ec) << ec.message();
        std::array<char, 4> more{};
        co_await client.read_some(asio::buffer(more), ec);
        client_saw_end = ec == asio::error::eof;
      },
      asio::detached);
  run();
  EXPECT_TRUE(client_saw_end);
  EXPECT_NE(SSL_get_shutdown(client.native_handle()) & SSL_RECEIVED_SHUTDOWN, 0)
      << "the connection ended without close_notify";
}

TEST_F(TlsStream, HandshakeDeadlineWhenThePeerSaysNothing) {
  auto [a, b] = pair();
  tls_stream server(std::move(a), server_ctx(server_settings()));
  error_code result;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        error_code ec;
        co_await server.handshake(ssl::stream_base::server, std::chrono::milliseconds(50), ec);
        result = ec;
        done = true;
      },
      asio::detached);
  run();
  ASSERT_TRUE(done);
  EXPECT_EQ(result, asio::error::timed_out);
  auto f = classify_handshake_error(result, server.native_handle(), tls_leg::client, "peer");
  EXPECT_EQ(f.cause, tls_handshake_cause::timeout);
  b.close();
}

TEST_F(TlsStream, DeadlineAfterTheStreamIsGoneDoesNothing) {
  auto [a, b] = pair();
  {
    auto server = std::make_unique<tls_stream>(std::move(a), server_ctx(server_settings()));
    asio::co_spawn(
        io,
        [&, s = server.get()]() -> asio::awaitable<void> {
          error_code ec;
          co_await s->handshake(ssl::stream_base::server, std::chrono::milliseconds(30), ec);
        },
        asio::detached);
    io.run_for(std::chrono::milliseconds(5));
    server->close();
    io.run_for(std::chrono::milliseconds(5));
    server.reset();
  }
  run();  // the timer fires (or is aborted) with the stream destroyed: no crash, no hang
  SUCCEED();
}

}  // namespace
}  // namespace kpp::net
