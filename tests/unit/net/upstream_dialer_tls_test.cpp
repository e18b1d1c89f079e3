// The dialer's TLS step (upstream.tls): a verified handshake gives a tls_stream; each failure
// is a typed cause with a line naming upstream.tls; the dial deadline covers the handshake.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "kpp/admin/tls_metrics.h"
#include "kpp/net/tls_stream.h"
#include "kpp/net/upstream_dialer.h"
#include "tls_fixture.h"

namespace kpp::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

class UpstreamDialerTls : public test::tls_fixture {
 protected:
  void SetUp() override {
    tls_fixture::SetUp();
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
  }

  std::shared_ptr<const dial_tls> dial_settings(const tls_client_settings& s) {
    auto store = tls_context_store::for_client("upstream", s, nullptr);
    EXPECT_TRUE(store) << store.failure->message;
    auto d = std::make_shared<dial_tls>();
    d->store = store.value;
    d->settings = s;
    return d;
  }

  // A TLS broker: accepts one connection, handshakes, echoes one 4-byte message.
  void serve_tls() {
    asio::co_spawn(
        io,
        [this]() -> asio::awaitable<void> {
          error_code ec;
          tcp::socket s(io);
          co_await acceptor.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
          auto server = std::make_shared<tls_stream>(std::move(s), server_ctx(server_settings()));
          co_await server->handshake(ssl::stream_base::server, 10s, ec);
          if (ec) co_return;
          std::array<char, 4> buf{};
          co_await server->read_exactly(asio::buffer(buf), ec);
          if (ec) co_return;
          const std::array bufs{asio::const_buffer(buf.data(), buf.size())};
          co_await server->write(bufs, ec);
          co_await server->read_some(asio::buffer(buf), ec);  // until the client closes
        },
        asio::detached);
  }

  // A PLAINTEXT Kafka listener: reads the ClientHello's first bytes as a frame size (far too
  // big) and hangs up, as Kafka brokers do.
  void serve_plaintext_that_hangs_up() {
    asio::co_spawn(
        io,
        [this]() -> asio::awaitable<void> {
          error_code ec;
          tcp::socket s(io);
          co_await acceptor.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
          std::array<char, 4> size{};
          co_await asio::async_read(s, asio::buffer(size),
                                    asio::redirect_error(asio::use_awaitable, ec));
          s.close(ec);
        },
        asio::detached);
  }

  struct dialed {
    std::optional<dial_error> err;
    std::unique_ptr<byte_stream> stream;
    std::string echoed;
  };

  dialed dial(std::shared_ptr<const dial_tls> tls, const std::string& server_host = {},
              std::chrono::milliseconds timeout = 5s) {
    dialed out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const upstream_dialer dialer({.timeout = timeout, .tls = std::move(tls), .login = {}});
          const routing::host_port to{"127.0.0.1", acceptor.local_endpoint().port()};
          out.err = co_await dialer.connect(out.stream, to, server_host);
          if (out.err) co_return;
          error_code ec;
          const std::string ping = "ping";
          const std::array bufs{asio::const_buffer(ping.data(), ping.size())};
          co_await out.stream->write(bufs, ec);
          std::array<char, 4> buf{};
          if (!ec) co_await out.stream->read_exactly(asio::buffer(buf), ec);
          if (!ec) out.echoed.assign(buf.data(), buf.size());
          out.stream->close();
        },
        asio::detached);
    io.run_for(20s);  // bounded: a hang fails the checks
    return out;
  }

  asio::io_context io;
  tcp::acceptor acceptor{io};
};

TEST_F(UpstreamDialerTls, VerifiedHandshakeGivesATlsStream) {
  serve_tls();
  auto d = dial(dial_settings(client_settings()));
  ASSERT_FALSE(d.err) << d.err->message;
  EXPECT_NE(dynamic_cast<tls_stream*>(d.stream.get()), nullptr);
  EXPECT_EQ(d.echoed, "ping");
}

TEST_F(UpstreamDialerTls, VerifiesTheBrokersOwnHostNotTheDialledAddress) {
  // A dial mapping sends b1.kafka.example.com to 127.0.0.1: the certificate must name b1.
  serve_tls();
  auto d = dial(dial_settings(client_settings()), "b1.kafka.example.com");
  ASSERT_FALSE(d.err) << d.err->message;
  EXPECT_EQ(d.echoed, "ping");
}

TEST_F(UpstreamDialerTls, NameNotInTheCertificateIsANameMismatch) {
  serve_tls();
  const auto before = admin::global_tls_metrics().handshake_failures(
      tls_leg::upstream, tls_handshake_cause::name_mismatch);
  auto d = dial(dial_settings(client_settings()), "broker.other.example.org");
  ASSERT_TRUE(d.err);
  EXPECT_EQ(d.err->code, make_error_code(dial_errc::tls_handshake_failed));
  EXPECT_EQ(d.err->tls_cause, tls_handshake_cause::name_mismatch);
  EXPECT_NE(d.err->message.find("upstream.tls.server_name"), std::string::npos) << d.err->message;
  EXPECT_EQ(admin::global_tls_metrics().handshake_failures(tls_leg::upstream,
                                                           tls_handshake_cause::name_mismatch),
            before + 1);
  EXPECT_FALSE(d.stream->socket().is_open());
}

TEST_F(UpstreamDialerTls, ServerNameOverridesTheHost) {
  serve_tls();
  auto s = client_settings();
  s.server_name = "localhost";
  auto d = dial(dial_settings(s), "broker.other.example.org");
  ASSERT_FALSE(d.err) << d.err->message;
  EXPECT_EQ(d.echoed, "ping");
}

TEST_F(UpstreamDialerTls, AnotherCaIsAnUnknownCa) {
  serve_tls();
  const auto other = test::make_ca("another CA");
  auto s = client_settings();
  s.ca_file = dir.write_certs("other-ca.pem", {other.cert});
  auto d = dial(dial_settings(s));
  ASSERT_TRUE(d.err);
  EXPECT_EQ(d.err->tls_cause, tls_handshake_cause::unknown_ca);
  EXPECT_NE(d.err->message.find("upstream.tls.ca_file"), std::string::npos) << d.err->message;
}

TEST_F(UpstreamDialerTls, InsecureSkipVerifyAcceptsAnyCertificate) {
  serve_tls();
  const auto other = test::make_ca("another CA");
  auto s = client_settings();
  s.ca_file = dir.write_certs("other-ca.pem", {other.cert});
  s.insecure_skip_verify = true;
  auto d = dial(dial_settings(s), "broker.other.example.org");
  ASSERT_FALSE(d.err) << d.err->message;
  EXPECT_EQ(d.echoed, "ping");
}

TEST_F(UpstreamDialerTls, PlaintextBrokerIsNamedInOneLine) {
  serve_plaintext_that_hangs_up();
  auto d = dial(dial_settings(client_settings()));
  ASSERT_TRUE(d.err);
  EXPECT_EQ(d.err->tls_cause, tls_handshake_cause::plaintext_upstream);
  EXPECT_NE(d.err->message.find("upstream.tls"), std::string::npos) << d.err->message;
  EXPECT_NE(d.err->message.find("PLAINTEXT"), std::string::npos) << d.err->message;
}

TEST_F(UpstreamDialerTls, SilenceAfterTheClientHelloIsProbablyAPlaintextListener) {
  // Accepts (the kernel backlog does) and never answers, as kfake's PLAINTEXT listener waits
  // for the rest of the "request" the ClientHello seems to start.
  auto d = dial(dial_settings(client_settings()), {}, 300ms);
  ASSERT_TRUE(d.err);
  EXPECT_EQ(d.err->tls_cause, tls_handshake_cause::plaintext_upstream);
  EXPECT_NE(d.err->message.find("disable upstream.tls"), std::string::npos) << d.err->message;
}

TEST_F(UpstreamDialerTls, TheDialDeadlineCoversTheHandshake) {
  // A TLS server that starts its answer and stalls.
  asio::co_spawn(
      io,
      [this]() -> asio::awaitable<void> {
        error_code ec;
        tcp::socket s(io);
        co_await acceptor.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        const std::array<std::uint8_t, 2> start{0x16, 0x03};
        co_await asio::async_write(s, asio::buffer(start),
                                   asio::redirect_error(asio::use_awaitable, ec));
        std::array<char, 512> buf{};
        while (!ec)  // holds the connection open until the client gives up
          co_await s.async_read_some(asio::buffer(buf),
                                     asio::redirect_error(asio::use_awaitable, ec));
      },
      asio::detached);
  auto d = dial(dial_settings(client_settings()), {}, 300ms);
  ASSERT_TRUE(d.err);
  EXPECT_EQ(d.err->tls_cause, tls_handshake_cause::timeout);
  EXPECT_NE(d.err->message.find("timeouts.dial"), std::string::npos) << d.err->message;
}

}  // namespace
}  // namespace kpp::net
