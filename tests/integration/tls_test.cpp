// TLS on the client leg, for real: librdkafka (security.protocol=SSL) produces and consumes
// through the proxy to a PLAINTEXT kfake cluster; a plaintext client on the TLS listener gets
// one clear line; a client that does not trust the proxy's CA is named as such; the listener
// certificate is rotated (SIGHUP) while a producer runs. Certificates are made by the test
// with the openssl command line; nothing that expires is checked in.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "support/kafka_clients.h"
#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/raw_client.h"
#include "support/test_certs.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using kpp::test::cert_dir;
using kpp::test::kafka_props;
using kpp::test::kfake_cluster;
using kpp::test::proxy_process;
using kpp::test::run_quietly;

namespace {

// Connects with TLS, trusting `ca_file`; the serial of the certificate the server presented,
// or -1 with the handshake error in `error`.
long presented_serial(std::uint16_t port, const std::string& ca_file, std::string& error) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  boost::system::error_code ec;
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec) s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    error = ec.message();
    return -1;
  }
  X509* cert = SSL_get0_peer_certificate(s.native_handle());
  const long serial = cert ? ASN1_INTEGER_get(X509_get0_serialNumber(cert)) : -1;
  s.shutdown(ec);
  return serial;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    KPP_REQUIRE_TOOL(run_quietly("openssl version"), "openssl", "apt-get install openssl");
    ASSERT_TRUE(certs.ok());
    ASSERT_TRUE(certs.make_ca("ca"));
    ASSERT_TRUE(certs.make_server("ca", "server", 1001));
    kpp::test::kfake_options o;
    o.brokers = 3;
    o.topics = "tls-e2e";
    cluster = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster->ok()) << cluster->output();
    const auto first = kpp::test::free_port_run(8);
    bootstrap = first;
    admin = static_cast<std::uint16_t>(first + 1);
    base = static_cast<std::uint16_t>(first + 2);
    const std::string yaml =
        "listen: 127.0.0.1\nthreads: 2\nbootstrap:\n  servers: [" + cluster->address(0) +
        "]\n  listeners:\n    - listen: 127.0.0.1:" + std::to_string(bootstrap) +
        "\nbrokers:\n  port_policy: node-id\n  base_port: " + std::to_string(base) +
        "\n  port_range: 6\n  listen_host: 127.0.0.1\n  advertised_host: localhost\n"
        "timeouts:\n  drain: 2s\nadmin:\n  address: 127.0.0.1:" +
        std::to_string(admin) +
        "\nlog:\n  level: debug\ntls:\n  cert_file: " + certs.path("server.pem") +
        "\n  key_file: " + certs.path("server.key") + "\n  refresh: 0s\n" + extra_tls();
    proxy = std::make_unique<proxy_process>(proxy_process::with_yaml(yaml));
    ASSERT_TRUE(proxy->wait_ready(admin)) << proxy->output();
  }
  void TearDown() override {
    if (proxy) {
      EXPECT_EQ(proxy->stop(), 0) << proxy->output();
    }
  }

  // More keys for the tls section (after the CA exists).
  virtual std::string extra_tls() const { return ""; }

  kafka_props ssl_props() const {
    return {{"security.protocol", "ssl"},
            {"ssl.ca.location", certs.path("ca.pem")},
            {"broker.address.family", "v4"}};
  }
  [[nodiscard]] std::string bootstrap_address() const {
    return "localhost:" + std::to_string(bootstrap);
  }
  [[nodiscard]] bool is_proxy_port(int p) const {
    return p == bootstrap || (p >= base && p < base + 6);
  }

  cert_dir certs;
  std::unique_ptr<kfake_cluster> cluster;
  std::unique_ptr<proxy_process> proxy;
  std::uint16_t bootstrap = 0, admin = 0, base = 0;
};

TEST_F(Tls, LibrdkafkaOverTlsToAPlaintextClusterSeesOnlyProxyAddresses) {
  kpp::test::producer p(bootstrap_address(), ssl_props());
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(p.produce("tls-e2e", "k" + std::to_string(i), "v" + std::to_string(i)))
        << p.last_error();
  ASSERT_TRUE(p.flush(30s)) << p.last_error() << proxy->output();
  EXPECT_EQ(p.delivered(), 300u);
  EXPECT_EQ(p.failed(), 0u);

  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(p.get(), 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(md->broker_cnt, 3);
  for (int i = 0; i < md->broker_cnt; ++i) {
    EXPECT_STREQ(md->brokers[i].host, "localhost");
    EXPECT_TRUE(is_proxy_port(md->brokers[i].port)) << md->brokers[i].port;
  }
  rd_kafka_metadata_destroy(md);

  kpp::test::consumer c(bootstrap_address(), "tls-group", ssl_props());
  ASSERT_TRUE(c.subscribe({"tls-e2e"}));
  const auto got = c.poll_records(300, 60s);
  std::set<std::string> values;
  for (const auto& r : got) values.insert(r.value);
  EXPECT_EQ(values.size(), 300u) << proxy->output();
  c.close();
}

TEST_F(Tls, PlaintextKafkaClientOnTheTlsListenerGetsOneClearLine) {
  kpp::test::raw_client raw(bootstrap);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send(kpp::test::request_frame(18, 0, 1)));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(proxy->wait_for_output(
      "sent a plaintext Kafka request to a TLS listener; set security.protocol=SSL"))
      << proxy->output();
  EXPECT_GE(kpp::test::metric_sum(admin,
                                  "kafka_psc_proxy_tls_handshake_failures_total{leg="
                                  "\"client\",cause=\"plaintext_client\"}")
                .value_or(-1),
            1);
}

TEST_F(Tls, ClientThatDoesNotTrustTheCaIsNamed) {
  ASSERT_TRUE(certs.make_ca("other"));
  std::string error;
  EXPECT_EQ(presented_serial(bootstrap, certs.path("other.pem"), error), -1);
  EXPECT_TRUE(
      proxy->wait_for_output("the client does not trust the proxy's certificate (unknown "
                             "CA)"))
      << proxy->output();
}

TEST_F(Tls, RotationUnderLoadKeepsConnectionsAndNewOnesSeeTheNewCertificate) {
  std::string error;
  ASSERT_EQ(presented_serial(bootstrap, certs.path("ca.pem"), error), 1001) << error;
  kpp::test::producer p(bootstrap_address(), ssl_props());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(p.produce("tls-e2e", "a", std::to_string(i)));
  ASSERT_TRUE(p.flush(30s)) << p.last_error();

  ASSERT_TRUE(certs.make_server("ca", "server", 2002));
  proxy->signal(SIGHUP);
  ASSERT_TRUE(proxy->wait_for_output("TLS listener: reloaded certificate files"))
      << proxy->output();
  // The producer's connections (made with the old certificate) keep working.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(p.produce("tls-e2e", "b", std::to_string(i)));
  ASSERT_TRUE(p.flush(30s)) << p.last_error();
  EXPECT_EQ(p.delivered(), 400u);
  EXPECT_EQ(p.failed(), 0u);
  EXPECT_EQ(presented_serial(bootstrap, certs.path("ca.pem"), error), 2002) << error;

  // A broken new file is reported and the current certificate stays.
  { std::ofstream(certs.path("server.pem")) << "-----BEGIN CERTIFICATE-----\nbroken\n"; }
  proxy->signal(SIGHUP);
  ASSERT_TRUE(proxy->wait_for_output("changed files could not be loaded")) << proxy->output();
  EXPECT_EQ(presented_serial(bootstrap, certs.path("ca.pem"), error), 2002) << error;
  EXPECT_EQ(kpp::test::http_get(admin, "/ready").status, 200);
  EXPECT_EQ(kpp::test::metric_sum(admin, "kafka_psc_proxy_tls_certificate_reload_failures_total")
                .value_or(-1),
            1);
}

class TlsMutual : public Tls {
 protected:
  std::string extra_tls() const override {
    return "  client_ca_file: " + certs.path("ca.pem") + "\n  client_auth: require\n";
  }
};

TEST_F(TlsMutual, ClientWithACertificateProducesOneWithoutIsNamed) {
  ASSERT_TRUE(certs.make_server("ca", "client", 3003));
  auto props = ssl_props();
  props.emplace_back("ssl.certificate.location", certs.path("client.pem"));
  props.emplace_back("ssl.key.location", certs.path("client.key"));
  kpp::test::producer p(bootstrap_address(), props);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.produce("tls-e2e", "m", std::to_string(i)));
  ASSERT_TRUE(p.flush(30s)) << p.last_error() << proxy->output();
  EXPECT_EQ(p.delivered(), 50u);

  kpp::test::producer anonymous(bootstrap_address(), ssl_props());
  ASSERT_TRUE(anonymous.produce("tls-e2e", "x", "y"));
  EXPECT_TRUE(proxy->wait_for_output("the client sent no certificate")) << proxy->output();
  EXPECT_GE(kpp::test::metric_sum(admin,
                                  "kafka_psc_proxy_tls_handshake_failures_total{leg="
                                  "\"client\",cause=\"client_cert_missing\"}")
                .value_or(-1),
            1);
  EXPECT_GT(kpp::test::metric_sum(admin, "kafka_psc_proxy_tls_certificate_not_after_seconds")
                .value_or(-1),
            0);
}

}  // namespace
