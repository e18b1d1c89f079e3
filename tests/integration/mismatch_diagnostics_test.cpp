// Wrong traffic on a Kafka port (TLS, HTTP/1, HTTP/2, an absurd frame size), a broker that
// answers in TLS, and a SASL mechanism the broker refuses: each must cost exactly one log line
// that names the cause and the setting to fix, one protocol_errors_total{cause} increment, the
// connection (except SASL, which passes through), and nothing else: the proxy stays healthy.
// Each test prints the proxy's line to stdout so the lead can quote it.
#include <gtest/gtest.h>

#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "support/fake_broker.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

// A TLS 1.2 ClientHello record start, as `openssl s_client` sends it (content type 0x16,
// legacy record version 3.1), padded with zeros: the classifier only needs the first bytes.
bytes tls_client_hello() {
  bytes b{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03};
  b.resize(b.size() + 32, 0x42);  // "random"
  b.resize(0xa5 + 5, 0x00);
  return b;
}

std::string cause_tag(const std::string& cause) {
  return "[" + cause + "]";
}

// ApiVersions v0 round trip: proves a Kafka port (and the process behind it) still works.
bool api_versions_ok(std::uint16_t port, std::int32_t corr) {
  raw_client c(port);
  if (!c.connected() || !c.send(request_frame(18, 0, corr))) return false;
  auto reply = c.read_frame();
  return reply && reply->size() >= 6 && get_i32(*reply, 0) == corr && get_i16(*reply, 4) == 0;
}

// ---- the proxy in front of the mock cluster ----------------------------------------------

class MismatchOnClientSide : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new mock_cluster(3);
    setup_ = new node_id_proxy(node_id_proxy::for_cluster(mock_->bootstraps(), 3));
    setup_->extra_yaml = "limits:\n  max_frame_size: 1MiB\n";
    proxy_ = new proxy_process(proxy_process::with_yaml(setup_->yaml()));
    ASSERT_TRUE(proxy_->wait_ready(setup_->admin_port)) << proxy_->output();
  }
  static void TearDownTestSuite() {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
    delete proxy_;
    delete setup_;
    delete mock_;
    proxy_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(proxy_, nullptr);
    ASSERT_TRUE(proxy_->running()) << proxy_->output();
  }

  // Sends `bytes` on `port` and checks the whole contract for `cause`; returns the log line.
  static std::string expect_one_diagnosis(std::uint16_t port, const bytes& data,
                                          const std::string& cause) {
    const auto series = protocol_errors_series(cause);
    const auto before = scrape(setup_->admin_port, series);
    EXPECT_TRUE(before) << series << " missing from /metrics";
    const auto lines_before = lines_containing(proxy_->output(), cause_tag(cause)).size();

    raw_client c(port);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send(data));
    EXPECT_TRUE(c.closed_by_peer()) << "the proxy kept a " << cause << " connection open";

    // The line may land a moment after the close: poll for it, then demand exactly one.
    const auto lines = wait_lines(*proxy_, cause_tag(cause), lines_before + 1);
    EXPECT_EQ(lines.size(), lines_before + 1) << proxy_->output();
    const std::string line = lines.empty() ? "" : lines.back();
    std::cout << "[" << cause << "] proxy log: " << line << "\n";

    const auto after = scrape(setup_->admin_port, series);
    EXPECT_TRUE(after && before && *after == *before + 1)
        << series << " before " << before.value_or(-1) << " after " << after.value_or(-1);

    // Still healthy: alive, ready, and serving Kafka on the same port.
    EXPECT_TRUE(proxy_->running());
    EXPECT_EQ(http_get(setup_->admin_port, "/health").status, 200);
    EXPECT_EQ(http_get(setup_->admin_port, "/ready").status, 200);
    EXPECT_TRUE(api_versions_ok(port, 4242));
    return line;
  }

  static mock_cluster* mock_;
  static node_id_proxy* setup_;
  static proxy_process* proxy_;
};
mock_cluster* MismatchOnClientSide::mock_ = nullptr;
node_id_proxy* MismatchOnClientSide::setup_ = nullptr;
proxy_process* MismatchOnClientSide::proxy_ = nullptr;

TEST_F(MismatchOnClientSide, TlsClientHelloOnBootstrapPort) {
  const auto line =
      expect_one_diagnosis(setup_->bootstrap_port, tls_client_hello(), "tls_on_plaintext_listener");
  EXPECT_NE(line.find("TLS"), std::string::npos);
  EXPECT_NE(line.find("security.protocol=PLAINTEXT"), std::string::npos) << line;
  EXPECT_NE(line.find("port=" + std::to_string(setup_->bootstrap_port)), std::string::npos) << line;
}

TEST_F(MismatchOnClientSide, Http1GetOnBrokerPort) {
  const auto port = setup_->broker_port(2);
  const auto line = expect_one_diagnosis(port, text_bytes("GET / HTTP/1.1\r\nHost: kafka\r\n\r\n"),
                                         "http_on_kafka_port");
  EXPECT_NE(line.find("admin.address"), std::string::npos) << line;
  EXPECT_NE(line.find("port=" + std::to_string(port)), std::string::npos) << line;
}

TEST_F(MismatchOnClientSide, Http2PrefaceOnBootstrapPort) {
  const auto line = expect_one_diagnosis(
      setup_->bootstrap_port, text_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "http_on_kafka_port");
  EXPECT_NE(line.find("admin.address"), std::string::npos) << line;
}

TEST_F(MismatchOnClientSide, FrameLargerThanMaxFrameSize) {
  // 16 MiB announced against limits.max_frame_size 1MiB, followed by a plausible ApiVersions
  // header so nothing but the size is wrong.
  bytes data;
  put_i32(data, 0x01000000);
  put_i16(data, 18);
  put_i16(data, 0);
  put_i32(data, 7);
  put_string(data, "big");
  const auto line = expect_one_diagnosis(setup_->bootstrap_port, data, "frame_too_large");
  EXPECT_NE(line.find("0x01000000"), std::string::npos) << line;
  EXPECT_NE(line.find("limits.max_frame_size"), std::string::npos) << line;
  EXPECT_NE(line.find("1048576"), std::string::npos) << line;
}

// ---- fake upstreams behind fixed-upstream listeners (grepplabs flags) ----------------------

// A TLS alert record (fatal, protocol_version): what a TLS listener sends a plaintext peer
// before hanging up. 7 bytes.
const bytes tls_alert{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};

class MismatchOnUpstreamSide : public ::testing::Test {
 protected:
  void start(const fake_broker& upstream, std::uint16_t listen_port) {
    admin_port_ = free_port();
    proxy_.emplace(std::vector<std::string>{
        "server", "--bootstrap-server-mapping",
        upstream.address() + ",127.0.0.1:" + std::to_string(listen_port), "--http-listen-address",
        "127.0.0.1:" + std::to_string(admin_port_), "--metadata-refresh", "1s"});
    // Discovery cannot succeed against a fake, so /ready stays red: wait for the listener.
    ASSERT_TRUE(proxy_->wait_for_output("bootstrap listener on")) << proxy_->output();
    ASSERT_TRUE(proxy_->wait_healthy(admin_port_)) << proxy_->output();
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }

  std::string wait_one_line(const std::string& needle) {
    EXPECT_TRUE(proxy_->wait_for_output(needle, 5s)) << proxy_->output();
    auto lines = lines_containing(proxy_->output(), needle);
    EXPECT_EQ(lines.size(), 1u) << proxy_->output();
    return lines.empty() ? "" : lines.front();
  }

  std::uint16_t admin_port_ = 0;
  std::optional<proxy_process> proxy_;
};

// Expected contract of a TLS-speaking broker; shared by the two reply shapes below.
void expect_tls_from_upstream(proxy_process& proxy, std::uint16_t admin_port,
                              std::uint16_t listen_port, const fake_broker& upstream,
                              const std::string& label) {
  const auto series = protocol_errors_series("tls_from_upstream");
  const auto before = scrape(admin_port, series).value_or(-1);
  raw_client c(listen_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(18, 0, 1)));
  EXPECT_TRUE(c.closed_by_peer()) << "client connection not closed";
  EXPECT_TRUE(proxy.wait_for_output(cause_tag("tls_from_upstream"), 5s)) << proxy.output();
  const auto lines = lines_containing(proxy.output(), cause_tag("tls_from_upstream"));
  EXPECT_EQ(lines.size(), 1u) << proxy.output();
  const std::string line = lines.empty() ? "" : lines.front();
  std::cout << "[tls_from_upstream" << label << "] proxy log: " << line << "\n";
  EXPECT_NE(line.find("bootstrap.servers"), std::string::npos) << line;
  EXPECT_NE(line.find(upstream.address()), std::string::npos) << line;
  EXPECT_EQ(scrape(admin_port, series).value_or(-1), before + 1);
  EXPECT_TRUE(proxy.running());
  EXPECT_EQ(http_get(admin_port, "/health").status, 200);
}

// Real TLS listeners answer a plaintext peer with one 7-byte alert and hang up: those 7 bytes
// are enough to tell TLS (and what is left at EOF is classified too).
TEST_F(MismatchOnUpstreamSide, TlsAlertThenCloseFromUpstream) {
  fake_broker upstream([](bytes& inbox) {
    inbox.clear();
    return fake_reply{tls_alert, true};
  });
  const auto listen = free_port();
  start(upstream, listen);
  expect_tls_from_upstream(*proxy_, admin_port_, listen, upstream, " alert+close");
}

// Same broker, but it keeps the connection open after its alert: the proxy must not wait for
// an eighth byte that never comes.
TEST_F(MismatchOnUpstreamSide, TlsAlertKeptOpenFromUpstream) {
  fake_broker upstream([](bytes& inbox) {
    inbox.clear();
    return fake_reply{tls_alert, false};
  });
  const auto listen = free_port();
  start(upstream, listen);
  expect_tls_from_upstream(*proxy_, admin_port_, listen, upstream, " alert kept open");
}

// A TLS answer of 8 bytes or more (a handshake record): the classifier sees it today.
TEST_F(MismatchOnUpstreamSide, TlsHandshakeRecordFromUpstream) {
  fake_broker upstream([](bytes& inbox) {
    inbox.clear();
    return fake_reply{{0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00}, false};
  });
  const auto listen = free_port();
  start(upstream, listen);
  expect_tls_from_upstream(*proxy_, admin_port_, listen, upstream, " handshake record");
}

TEST_F(MismatchOnUpstreamSide, SaslMechanismRefusedPassesThroughAndIsLoggedOnce) {
  // The broker enables PLAIN only. It answers SaslHandshake and hangs up on anything else
  // (the proxy's discovery gives up on it quickly).
  std::mutex mu;
  std::vector<bytes> sent;  // the payloads the fake wrote, to compare byte for byte
  fake_broker upstream([&](bytes& inbox) {
    fake_reply reply;
    while (auto req = take_frame(inbox)) {
      if (get_i16(*req, 0) != 17) return fake_reply{{}, true};
      // Mechanism: after key, version, correlation id and the client id string.
      const auto client_id_len = static_cast<std::size_t>(get_i16(*req, 8));
      const auto at = 10 + client_id_len;
      const auto mech_len = static_cast<std::size_t>(get_i16(*req, at));
      const std::string mech(req->begin() + static_cast<long>(at + 2),
                             req->begin() + static_cast<long>(at + 2 + mech_len));
      auto payload = sasl_handshake_response(get_i32(*req, 4), mech == "PLAIN" ? 0 : 33, {"PLAIN"});
      {
        std::lock_guard lock(mu);
        sent.push_back(payload);
      }
      const auto f = framed(payload);
      reply.data.insert(reply.data.end(), f.begin(), f.end());
    }
    return reply;
  });
  const auto listen = free_port();
  start(upstream, listen);
  const auto series = protocol_errors_series("sasl_mechanism_unsupported");
  const auto before = scrape(admin_port_, series).value_or(-1);

  raw_client c(listen);
  ASSERT_TRUE(c.connected());
  bytes body;
  put_string(body, "SCRAM-SHA-512");
  ASSERT_TRUE(c.send(request_frame(17, 1, 11, body)));
  auto reply = c.read_frame();
  ASSERT_TRUE(reply) << proxy_->output();
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(*reply, sent.front()) << "the SaslHandshake response was altered";
  }
  EXPECT_EQ(get_i16(*reply, 4), 33);

  const auto line = wait_one_line("does not offer SASL mechanism");
  std::cout << "[sasl_mechanism_unsupported] proxy log: " << line << "\n";
  EXPECT_NE(line.find("'SCRAM-SHA-512'"), std::string::npos) << line;
  EXPECT_NE(line.find("PLAIN"), std::string::npos) << line;
  EXPECT_NE(line.find("sasl.mechanism"), std::string::npos) << line;
  EXPECT_EQ(scrape(admin_port_, series).value_or(-1), before + 1);

  // Passed through, not closed: the client may retry with a mechanism the broker has.
  bytes plain;
  put_string(plain, "PLAIN");
  ASSERT_TRUE(c.send(request_frame(17, 1, 12, plain)));
  auto second = c.read_frame();
  ASSERT_TRUE(second) << "connection closed after a refused mechanism\n" << proxy_->output();
  EXPECT_EQ(get_i32(*second, 0), 12);
  EXPECT_EQ(get_i16(*second, 4), 0);
  EXPECT_EQ(lines_containing(proxy_->output(), "does not offer SASL mechanism").size(), 1u);
  EXPECT_EQ(scrape(admin_port_, series).value_or(-1), before + 1);
  EXPECT_TRUE(proxy_->running());
  EXPECT_EQ(http_get(admin_port_, "/health").status, 200);
}

}  // namespace

namespace {

// SaslHandshake v0 (pre-KIP-152 clients): after it, the client sends raw length-prefixed SASL
// tokens with no Kafka header, and the broker answers raw tokens (for PLAIN, an empty one).
// The proxy must pass them through byte for byte and go back to parsing Kafka requests at
// the first frame that is one.
TEST_F(MismatchOnUpstreamSide, SaslHandshakeV0RawTokensPassThroughThenKafkaResumes) {
  const std::string token("\0alice\0secret", 13);
  std::mutex mu;
  std::vector<bytes> tokens_seen;
  fake_broker upstream([&](bytes& inbox) {
    fake_reply reply;
    while (auto req = take_frame(inbox)) {
      const auto key = get_i16(*req, 0);
      bytes payload;
      if (key == 17) {
        payload = sasl_handshake_response(get_i32(*req, 4), 0, {"PLAIN"});
      } else if (key == 18) {  // ApiVersions v0: no error, no API listed
        put_i32(payload, get_i32(*req, 4));
        put_i16(payload, 0);
        put_i32(payload, 0);
      } else if (key == 3) {
        return fake_reply{{}, true};  // the proxy's own discovery: not this test's business
      } else {  // a raw token: answer with an empty token, as a PLAIN server does
        std::lock_guard lock(mu);
        tokens_seen.push_back(*req);
      }
      const auto f = framed(payload);
      reply.data.insert(reply.data.end(), f.begin(), f.end());
    }
    return reply;
  });
  const auto listen = free_port();
  start(upstream, listen);

  raw_client c(listen);
  ASSERT_TRUE(c.connected());
  bytes mechanism;
  put_string(mechanism, "PLAIN");
  ASSERT_TRUE(c.send(request_frame(17, 0, 21, mechanism)));
  auto handshake = c.read_frame();
  ASSERT_TRUE(handshake) << proxy_->output();
  EXPECT_EQ(get_i32(*handshake, 0), 21);
  EXPECT_EQ(get_i16(*handshake, 4), 0);

  ASSERT_TRUE(c.send(framed(text_bytes(token))));
  auto answer = c.read_frame();
  ASSERT_TRUE(answer) << proxy_->output();
  EXPECT_TRUE(answer->empty()) << "the empty token answer was altered";
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(tokens_seen.size(), 1u);
    EXPECT_EQ(tokens_seen.front(), text_bytes(token)) << "the raw token was altered";
  }

  // Authenticated: the next frame is a Kafka request again, matched by correlation id.
  ASSERT_TRUE(c.send(request_frame(18, 0, 22)));
  auto versions = c.read_frame();
  ASSERT_TRUE(versions) << proxy_->output();
  EXPECT_EQ(get_i32(*versions, 0), 22);
  EXPECT_EQ(proxy_->output().find("[correlation_mismatch]"), std::string::npos) << proxy_->output();
  EXPECT_EQ(proxy_->output().find("[malformed_header]"), std::string::npos) << proxy_->output();
}

}  // namespace
