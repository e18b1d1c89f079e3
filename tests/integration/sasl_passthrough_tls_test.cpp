// SASL_SSL passthrough with the client leg in TLS: the proxy terminates TLS (a listener with a
// `tls:` block) and passes the SASL exchange to a scripted broker byte for byte, over a
// plaintext upstream leg and over a TLS one (upstream.tls, the fake broker serving TLS):
// SaslHandshake v0 followed by raw length-prefixed tokens with no Kafka header, and
// SaslHandshake v1 + SaslAuthenticate. After the exchange, Kafka request parsing must resume
// (an ApiVersions is answered with its own correlation id). The plaintext counterpart is in
// mismatch_diagnostics_test.cpp; over TLS the proxy reads the client's frames in decrypted
// pieces of its own size, which is what this covers.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_broker.h"
#include "support/optional_tools.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/raw_client.h"
#include "support/test_certs.h"

using namespace std::chrono_literals;
using namespace kpp::test;
namespace asio = boost::asio;

namespace {

constexpr std::int16_t sasl_handshake_key = 17;
constexpr std::int16_t api_versions_key = 18;
constexpr std::int16_t metadata_key = 3;
constexpr std::int16_t sasl_authenticate_key = 36;

// A blocking TLS client that trusts `ca_file` and checks the proxy's certificate names
// localhost. Every operation is bounded: an unanswered read fails after 5 s instead of hanging.
class tls_client {
 public:
  tls_client(std::uint16_t port, const std::string& ca_file)
      : ctx_(asio::ssl::context::tls_client), stream_(io_, init(ctx_, ca_file)) {
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    stream_.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    ok_ = run(
              [&](auto done) {
                stream_.next_layer().async_connect(
                    {asio::ip::make_address("127.0.0.1"), port},
                    [done](boost::system::error_code ec) { done(ec); });
              },
              "connect") &&
          run(
              [&](auto done) {
                stream_.async_handshake(asio::ssl::stream_base::client,
                                        [done](boost::system::error_code ec) { done(ec); });
              },
              "TLS handshake");
  }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  bool send(const bytes& data) {
    return run(
        [&](auto done) {
          asio::async_write(stream_, asio::buffer(data),
                            [done](boost::system::error_code ec, std::size_t) { done(ec); });
        },
        "write");
  }

  // A whole frame's payload (without the size), or nullopt on close/timeout (see error()).
  std::optional<bytes> read_frame() {
    bytes size(4);
    if (!read_exact(size)) return std::nullopt;
    bytes payload(static_cast<std::size_t>(get_i32(size, 0)));
    if (!payload.empty() && !read_exact(payload)) return std::nullopt;
    return payload;
  }

 private:
  static asio::ssl::context& init(asio::ssl::context& ctx, const std::string& ca_file) {
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    return ctx;
  }

  bool read_exact(bytes& out) {
    return run(
        [&](auto done) {
          asio::async_read(stream_, asio::buffer(out),
                           [done](boost::system::error_code ec, std::size_t) { done(ec); });
        },
        "read");
  }

  // Starts one asynchronous operation and runs it to completion, for at most 5 s; on a
  // timeout the socket is closed so the operation ends (aborted) before this returns.
  template <class Start>
  bool run(Start start, const char* what) {
    bool finished = false;
    boost::system::error_code result;
    auto done = [&](boost::system::error_code ec) {
      finished = true;
      result = ec;
    };
    start(done);
    io_.restart();
    io_.run_for(5s);
    if (!finished) {
      boost::system::error_code ignored;
      stream_.next_layer().close(ignored);
      io_.restart();
      io_.run();
      error_ = std::string(what) + ": no completion within 5 s";
      return false;
    }
    if (result) {
      error_ = std::string(what) + ": " + result.message();
      return false;
    }
    return true;
  }

  asio::io_context io_;
  asio::ssl::context ctx_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool ok_ = false;
  std::string error_;
};

void put_i64(bytes& b, std::int64_t v) {
  put_i32(b, static_cast<std::int32_t>(static_cast<std::uint64_t>(v) >> 32));
  put_i32(b, static_cast<std::int32_t>(static_cast<std::uint64_t>(v) & 0xffffffffu));
}

// Kafka BYTES: int32 length, then the bytes.
void put_bytes(bytes& b, const bytes& data) {
  put_i32(b, static_cast<std::int32_t>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
}

// ApiVersions v0 response payload: no error, no API listed (enough for a correlation check).
bytes api_versions_v0_response(std::int32_t corr) {
  bytes p;
  put_i32(p, corr);
  put_i16(p, 0);
  put_i32(p, 0);
  return p;
}

// SaslAuthenticate v1 response payload (response header v0): no error, a null error message,
// the server's token, the session lifetime.
bytes sasl_authenticate_v1_response(std::int32_t corr, const bytes& token,
                                    std::int64_t session_lifetime_ms) {
  bytes p;
  put_i32(p, corr);
  put_i16(p, 0);
  put_i16(p, -1);
  put_bytes(p, token);
  put_i64(p, session_lifetime_ms);
  return p;
}

// What the scripted broker saw, shared with its thread.
struct seen_frames {
  std::mutex mu;
  std::vector<bytes> frames;

  void add(const bytes& f) {
    std::lock_guard lock(mu);
    frames.push_back(f);
  }
  std::vector<bytes> get() {
    std::lock_guard lock(mu);
    return frames;
  }
};

// The parameter: the upstream leg speaks TLS too (upstream.tls to a TLS fake broker).
class SaslPassthroughOverClientTls : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    KPP_REQUIRE_TOOL(run_quietly("openssl version"), "openssl", "apt-get install openssl");
    ASSERT_TRUE(certs_.ok());
    ASSERT_TRUE(certs_.make_ca("ca"));
    ASSERT_TRUE(certs_.make_server("ca", "server", 1001));
    ASSERT_TRUE(certs_.make_server("ca", "broker", 2002));
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }

  // How the fake broker listens: TLS with its own certificate when the upstream leg is TLS.
  [[nodiscard]] std::optional<fake_tls_files> upstream_tls() const {
    if (!GetParam()) return std::nullopt;
    return fake_tls_files{certs_.path("broker.pem"), certs_.path("broker.key")};
  }

  // The proxy with one TLS bootstrap listener in front of `upstream`; upstream.tls (trusting
  // the test CA, verifying the broker as 127.0.0.1) when the upstream leg is TLS.
  void start(const fake_broker& upstream) {
    // Bootstrap, admin, then two broker ports (unused: discovery never succeeds against a fake).
    const auto first = free_port_run(4);
    listen_port_ = first;
    admin_port_ = static_cast<std::uint16_t>(first + 1);
    const std::string yaml =
        "listen: 127.0.0.1\nbootstrap:\n  servers: [" + upstream.address() +
        "]\n  listeners:\n    - listen: 127.0.0.1:" + std::to_string(listen_port_) +
        "\nbrokers:\n  port_policy: node-id\n  base_port: " + std::to_string(first + 2) +
        "\n  port_range: 2\n  listen_host: 127.0.0.1\n  advertised_host: localhost\n" +
        "admin:\n  address: 127.0.0.1:" + std::to_string(admin_port_) +
        "\nlog:\n  level: debug\ntls:\n  cert_file: " + certs_.path("server.pem") +
        "\n  key_file: " + certs_.path("server.key") + "\n  refresh: 0s\n" +
        (GetParam()
             ? "upstream:\n  tls:\n    enabled: true\n    ca_file: " + certs_.path("ca.pem") + "\n"
             : std::string());
    proxy_.emplace(proxy_process::with_yaml(yaml));
    // Discovery cannot succeed against a fake, so /ready stays red: wait for the listener.
    ASSERT_TRUE(proxy_->wait_for_output("bootstrap listener on")) << proxy_->output();
    ASSERT_TRUE(proxy_->wait_healthy(admin_port_)) << proxy_->output();
  }

  std::unique_ptr<tls_client> connect() {
    auto c = std::make_unique<tls_client>(listen_port_, certs_.path("ca.pem"));
    EXPECT_TRUE(c->ok()) << c->error() << "\n" << proxy_->output();
    return c;
  }

  // After the SASL exchange: a Kafka request is parsed and matched again.
  void expect_kafka_resumes(tls_client& c, std::int32_t corr) {
    ASSERT_TRUE(c.send(request_frame(api_versions_key, 0, corr))) << c.error();
    auto versions = c.read_frame();
    ASSERT_TRUE(versions) << c.error() << "\n" << proxy_->output();
    EXPECT_EQ(*versions, api_versions_v0_response(corr));
    const auto out = proxy_->output();
    EXPECT_EQ(out.find("[correlation_mismatch]"), std::string::npos) << out;
    EXPECT_EQ(out.find("[malformed_header]"), std::string::npos) << out;
  }

  cert_dir certs_;
  std::uint16_t listen_port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::optional<proxy_process> proxy_;
};

// A broker speaking SaslHandshake v0/v1, SaslAuthenticate v1 and ApiVersions v0; any other
// frame is a raw SASL token, recorded and answered with the next of `raw_answers` (framed,
// without a header). Kafka frames are recorded too, in `kafka`.
fake_script sasl_script(const std::vector<std::string>& mechanisms, std::vector<bytes> raw_answers,
                        std::vector<bytes> authenticate_answers, seen_frames& raw,
                        seen_frames& kafka) {
  auto next_raw = std::make_shared<std::size_t>(0);
  auto next_auth = std::make_shared<std::size_t>(0);
  return [=, &raw, &kafka](bytes& inbox) {
    fake_reply reply;
    while (auto req = take_frame(inbox)) {
      const auto key = req->size() >= 2 ? get_i16(*req, 0) : std::int16_t{-1};
      bytes payload;
      if (key == sasl_handshake_key) {
        kafka.add(*req);
        payload = sasl_handshake_response(get_i32(*req, 4), 0, mechanisms);
      } else if (key == api_versions_key) {
        kafka.add(*req);
        payload = api_versions_v0_response(get_i32(*req, 4));
      } else if (key == sasl_authenticate_key) {
        kafka.add(*req);
        if (*next_auth >= authenticate_answers.size()) return fake_reply{reply.data, true};
        payload = sasl_authenticate_v1_response(get_i32(*req, 4),
                                                authenticate_answers[(*next_auth)++], 0);
      } else if (key == metadata_key) {
        return fake_reply{{}, true};  // the proxy's own discovery: not this test's business
      } else {
        raw.add(*req);
        if (*next_raw >= raw_answers.size()) return fake_reply{reply.data, true};
        payload = raw_answers[(*next_raw)++];
      }
      const auto f = framed(payload);
      reply.data.insert(reply.data.end(), f.begin(), f.end());
    }
    return reply;
  };
}

bytes handshake_request_body(const std::string& mechanism) {
  bytes b;
  put_string(b, mechanism);
  return b;
}

// SaslHandshake v0 for PLAIN, then the one raw token (answered by an empty one, as a PLAIN
// server does), then Kafka again: the TLS version of the plaintext test.
TEST_P(SaslPassthroughOverClientTls, HandshakeV0PlainRawTokenThenKafkaResumes) {
  const auto token = text_bytes(std::string("\0alice\0secret", 13));
  seen_frames raw;
  seen_frames kafka;
  fake_broker upstream(sasl_script({"PLAIN"}, {bytes{}}, {}, raw, kafka), upstream_tls());
  ASSERT_TRUE(upstream.ok()) << upstream.error();
  ASSERT_NO_FATAL_FAILURE(start(upstream));

  auto c = connect();
  ASSERT_TRUE(c->ok());
  ASSERT_TRUE(c->send(request_frame(sasl_handshake_key, 0, 21, handshake_request_body("PLAIN"))));
  auto handshake = c->read_frame();
  ASSERT_TRUE(handshake) << c->error() << "\n" << proxy_->output();
  EXPECT_EQ(*handshake, sasl_handshake_response(21, 0, {"PLAIN"}));

  ASSERT_TRUE(c->send(framed(token))) << c->error();
  auto answer = c->read_frame();
  ASSERT_TRUE(answer) << c->error() << "\n" << proxy_->output();
  EXPECT_TRUE(answer->empty()) << "the empty token answer was altered";
  EXPECT_EQ(raw.get(), std::vector<bytes>{token}) << "the raw token was altered";

  expect_kafka_resumes(*c, 22);
}

// SaslHandshake v0 with a multi-round mechanism: SCRAM-shaped tokens both ways, non-empty
// answers, and a GSSAPI-sized token larger than one TLS record (16 KiB), so the proxy meets it
// in several decrypted pieces. Every token arrives as sent, every answer comes back as sent.
TEST_P(SaslPassthroughOverClientTls, HandshakeV0MultiRoundRawTokensBothWaysThenKafkaResumes) {
  const std::vector<bytes> tokens{
      text_bytes("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL"),
      text_bytes(
          "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
      bytes(40000, 0xa5)};
  const std::vector<bytes> answers{
      text_bytes("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
      text_bytes("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), bytes(30000, 0x5a)};
  seen_frames raw;
  seen_frames kafka;
  fake_broker upstream(sasl_script({"SCRAM-SHA-256"}, answers, {}, raw, kafka), upstream_tls());
  ASSERT_TRUE(upstream.ok()) << upstream.error();
  ASSERT_NO_FATAL_FAILURE(start(upstream));

  auto c = connect();
  ASSERT_TRUE(c->ok());
  ASSERT_TRUE(
      c->send(request_frame(sasl_handshake_key, 0, 7, handshake_request_body("SCRAM-SHA-256"))));
  auto handshake = c->read_frame();
  ASSERT_TRUE(handshake) << c->error() << "\n" << proxy_->output();
  EXPECT_EQ(*handshake, sasl_handshake_response(7, 0, {"SCRAM-SHA-256"}));

  for (std::size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_TRUE(c->send(framed(tokens[i]))) << c->error();
    auto answer = c->read_frame();
    ASSERT_TRUE(answer) << "round " << i << ": " << c->error() << "\n" << proxy_->output();
    EXPECT_EQ(*answer, answers[i]) << "round " << i << ": the broker's answer was altered";
  }
  EXPECT_EQ(raw.get(), tokens) << "a raw token was altered";

  expect_kafka_resumes(*c, 8);
}

// SaslHandshake v1 + two SaslAuthenticate v1 rounds (KIP-152 framing): every request reaches the
// broker and every response reaches the client exactly as sent; then Kafka goes on.
TEST_P(SaslPassthroughOverClientTls, HandshakeV1AndSaslAuthenticateV1ThenKafkaResumes) {
  const std::vector<bytes> client_tokens{
      text_bytes("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"),
      text_bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
                 "Ute9ytag9zjfMHgsqmmiz7AndVQ=")};
  const std::vector<bytes> server_tokens{
      text_bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
                 "i=4096"),
      text_bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")};
  seen_frames raw;
  seen_frames kafka;
  fake_broker upstream(sasl_script({"SCRAM-SHA-256"}, {}, server_tokens, raw, kafka),
                       upstream_tls());
  ASSERT_TRUE(upstream.ok()) << upstream.error();
  ASSERT_NO_FATAL_FAILURE(start(upstream));

  auto c = connect();
  ASSERT_TRUE(c->ok());
  const auto handshake_request =
      request_frame(sasl_handshake_key, 1, 31, handshake_request_body("SCRAM-SHA-256"));
  ASSERT_TRUE(c->send(handshake_request));
  auto handshake = c->read_frame();
  ASSERT_TRUE(handshake) << c->error() << "\n" << proxy_->output();
  EXPECT_EQ(*handshake, sasl_handshake_response(31, 0, {"SCRAM-SHA-256"}));

  std::vector<bytes> sent{bytes(handshake_request.begin() + 4, handshake_request.end())};
  for (std::size_t i = 0; i < client_tokens.size(); ++i) {
    bytes body;
    put_bytes(body, client_tokens[i]);
    const auto corr = static_cast<std::int32_t>(32 + i);
    const auto request = request_frame(sasl_authenticate_key, 1, corr, body);
    sent.emplace_back(request.begin() + 4, request.end());
    ASSERT_TRUE(c->send(request)) << c->error();
    auto answer = c->read_frame();
    ASSERT_TRUE(answer) << "round " << i << ": " << c->error() << "\n" << proxy_->output();
    EXPECT_EQ(*answer, sasl_authenticate_v1_response(corr, server_tokens[i], 0))
        << "round " << i << ": the SaslAuthenticate response was altered";
  }
  EXPECT_TRUE(raw.get().empty()) << "a KIP-152 frame was taken for a raw token";

  expect_kafka_resumes(*c, 40);
  // The broker saw the client's own frames (the proxy's discovery connections send
  // ApiVersions/Metadata on other connections; keep only the SASL ones and this client's last).
  std::vector<bytes> sasl_seen;
  for (const auto& f : kafka.get()) {
    const auto key = get_i16(f, 0);
    if (key == sasl_handshake_key || key == sasl_authenticate_key) sasl_seen.push_back(f);
  }
  EXPECT_EQ(sasl_seen, sent) << "a SASL request was altered on its way to the broker";
}

INSTANTIATE_TEST_SUITE_P(UpstreamLeg, SaslPassthroughOverClientTls, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& leg) {
                           return std::string(leg.param ? "TlsUpstream" : "PlaintextUpstream");
                         });

}  // namespace
