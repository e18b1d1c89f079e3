// routing: sni end to end: one TLS port serves the bootstrap name and every broker of a
// kfake cluster (3 brokers, a 4th joining while the proxy runs), told apart by the TLS server
// name. kgo-bench (-remap keeps the SNI name while it dials loopback) and librdkafka (a
// resolve_cb sends every *.kpp.test name to 127.0.0.1; glibc resolves no such name) produce
// and consume through it; the metadata they get names only b{N}.kpp.test on the shared port;
// a wrong name, or a broker name for a node id the proxy does not know, gets the alert
// unrecognized_name and one log line; a client without SNI (one
// dialing the IP) gets the bootstrap route. Certificates: a wildcard *.kpp.test, and a
// per-name one for b1.kpp.test that the server name selects.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <netdb.h>
#include <openssl/err.h>

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/poll.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/test_certs.h"

using namespace std::chrono_literals;
using kpp::test::cert_dir;
using kpp::test::kfake_cluster;
using kpp::test::proxy_process;
using kpp::test::run_quietly;

namespace {

constexpr const char* domain = ".kpp.test";
constexpr const char* boot_host = "boot.kpp.test";

std::string kgo_bench_binary() {
  if (const char* env = std::getenv("KPP_KGO_BENCH")) return env;
  const auto kfake = kfake_cluster::binary();
  if (kfake.empty()) return "";
  const auto p = std::filesystem::path(kfake).parent_path() / "kgo-bench";
  return ::access(p.c_str(), X_OK) == 0 ? p.string() : "";
}

// Every *.kpp.test name is 127.0.0.1 (the proxy); anything else as getaddrinfo says.
int resolve_to_loopback(const char* node, const char* service, const struct addrinfo* hints,
                        struct addrinfo** res, void*) {
  if (!node && !service && !hints) {
    freeaddrinfo(*res);
    return 0;
  }
  const std::string name = node ? node : "";
  const bool ours = name.size() > std::strlen(domain) &&
                    name.compare(name.size() - std::strlen(domain), std::string::npos, domain) == 0;
  return getaddrinfo(ours ? "127.0.0.1" : node, service, hints, res);
}

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;

struct delivery_counts {
  std::atomic<int> ok{0}, failed{0};
};

rd_kafka_conf_t* ssl_conf(const std::string& bootstrap, const std::string& ca) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[256];
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", bootstrap},
                                                        {"security.protocol", "ssl"},
                                                        {"ssl.ca.location", ca},
                                                        {"broker.address.family", "v4"},
                                                        {"log_level", "3"}}) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK)
        << k << ": " << err;
  }
  rd_kafka_conf_set_resolve_cb(conf, &resolve_to_loopback);
  return conf;
}

// One TLS connection to 127.0.0.1:port with `sni` (none when empty); the handshake error.
boost::system::error_code tls_connect(std::uint16_t port, const std::string& ca,
                                      const std::string& sni, long* serial = nullptr) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  if (!sni.empty()) SSL_set_tlsext_host_name(s.native_handle(), sni.c_str());
  boost::system::error_code ec;
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec) s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return ec;
  if (serial) {
    X509* cert = SSL_get0_peer_certificate(s.native_handle());
    *serial = cert ? ASN1_INTEGER_get(X509_get0_serialNumber(cert)) : -1;
  }
  s.shutdown(ec);
  return {};
}

class SniRouting : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    KPP_REQUIRE_TOOL(run_quietly("openssl version"), "openssl", "apt-get install openssl");
    ASSERT_TRUE(certs.ok());
    ASSERT_TRUE(certs.make_ca("ca"));
    ASSERT_TRUE(certs.make_server("ca", "server", 1001, "DNS:*.kpp.test,IP:127.0.0.1"));
    ASSERT_TRUE(certs.make_server("ca", "b1", 2002, "DNS:b1.kpp.test"));
    kpp::test::kfake_options o;
    o.brokers = 3;
    o.topics = "sni-e2e";
    o.add_node_port = kpp::test::free_port();
    o.add_node_after = "4s";
    cluster = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster->ok()) << cluster->output();
    // The joining broker's port is free until it joins: keep the proxy's ports off it.
    while (port == 0 || port == o.add_node_port) port = kpp::test::free_port();
    while (admin == 0 || admin == o.add_node_port || admin == port) admin = kpp::test::free_port();
    const std::string yaml =
        "listen: 127.0.0.1\nthreads: 2\nbootstrap:\n  servers: [" + cluster->address(0) +
        "]\nbrokers:\n  advertised_host: b{node_id}.kpp.test\n"
        "routing: sni\nsni:\n  listen: 127.0.0.1:" +
        std::to_string(port) + "\n  bootstrap_host: " + boot_host +
        "\n  certificates:\n    - cert_file: " + certs.path("b1.pem") +
        "\n      key_file: " + certs.path("b1.key") +
        "\ndiscovery:\n  metadata_refresh: 1s\ntimeouts:\n  drain: 2s\nadmin:\n  address: "
        "127.0.0.1:" +
        std::to_string(admin) +
        "\nlog:\n  level: debug\ntls:\n  cert_file: " + certs.path("server.pem") +
        "\n  key_file: " + certs.path("server.key") + "\n  refresh: 0s\n";
    proxy = std::make_unique<proxy_process>(proxy_process::with_yaml(yaml));
    ASSERT_TRUE(proxy->wait_ready(admin)) << proxy->output();
  }
  void TearDown() override {
    if (proxy) {
      EXPECT_EQ(proxy->stop(), 0) << proxy->output();
    }
  }

  [[nodiscard]] std::string name(const std::string& host) const {
    return host + ":" + std::to_string(port);
  }
  // kgo-bench through the proxy, every name dialed at loopback; its output and exit status.
  int kgo_bench(const std::string& topic, int records, std::string& out) const {
    std::string remap;
    for (const auto& host :
         {std::string(boot_host), std::string("b0.kpp.test"), std::string("b1.kpp.test"),
          std::string("b2.kpp.test"), std::string("b3.kpp.test")})
      remap += (remap.empty() ? "" : ",") + name(host) + "=127.0.0.1:" + std::to_string(port);
    const std::string cmd = kgo_bench_binary() + " -b " + name(boot_host) + " -remap " + remap +
                            " -tls-ca " + certs.path("ca.pem") + " -t " + topic + " -n " +
                            std::to_string(records) + " -s 512 -timeout 60s 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return -1;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  cert_dir certs;
  std::unique_ptr<kfake_cluster> cluster;
  std::unique_ptr<proxy_process> proxy;
  std::uint16_t port = 0, admin = 0;
};

TEST_F(SniRouting, KgoBenchProducesAndConsumesThroughOnePortAndABrokerJoins) {
  KPP_REQUIRE_TOOL(!kgo_bench_binary().empty(), "kgo-bench",
                   "set KPP_KGO_BENCH=/path/to/kgo-bench or put it next to kfake-broker");
  std::string out;
  ASSERT_EQ(kgo_bench("sni-kgo", 4000, out), 0) << out << proxy->output();
  EXPECT_NE(out.find("consume 4000 recs"), std::string::npos) << out;

  // The 4th broker joins: no new port, discovery gives it a route on the shared one.
  ASSERT_TRUE(
      proxy->wait_for_output("broker 3: listening on 127.0.0.1:" + std::to_string(port), 30s))
      << proxy->output();
  EXPECT_EQ(kpp::test::http_get(admin, "/ready").status, 200);
  out.clear();
  ASSERT_EQ(kgo_bench("sni-kgo-4", 4000, out), 0) << out << proxy->output();

  // Metrics stay per broker: broker connections count under their node id.
  for (int node = 0; node < 3; ++node)
    EXPECT_GE(kpp::test::metric_sum(admin,
                                    "kafka_psc_proxy_listener_connections_total{"
                                    "listener=\"broker\",port=\"" +
                                        std::to_string(port) + "\",node_id=\"" +
                                        std::to_string(node) + "\"}")
                  .value_or(-1),
              1)
        << node;
}

TEST_F(SniRouting, LibrdkafkaProducesAndConsumesAndSeesOnlyAdvertisedNames) {
  delivery_counts counts;
  rd_kafka_conf_t* pconf = ssl_conf(name(boot_host), certs.path("ca.pem"));
  rd_kafka_conf_set_opaque(pconf, &counts);
  rd_kafka_conf_set_dr_msg_cb(pconf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* c = static_cast<delivery_counts*>(opaque);
    (m->err ? c->failed : c->ok).fetch_add(1);
  });
  char err[512];
  rk_ptr producer(rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err));
  ASSERT_TRUE(producer) << err;
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    const std::string v = "v" + std::to_string(i);
    ASSERT_EQ(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("sni-e2e"),
                                RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR) << proxy->output();
  EXPECT_EQ(counts.ok.load(), n);
  EXPECT_EQ(counts.failed.load(), 0);

  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(producer.get(), 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_GE(md->broker_cnt, 3);
  for (int i = 0; i < md->broker_cnt; ++i) {
    EXPECT_EQ(std::string(md->brokers[i].host),
              "b" + std::to_string(md->brokers[i].id) + ".kpp.test");
    EXPECT_EQ(md->brokers[i].port, port);
  }
  rd_kafka_metadata_destroy(md);

  rd_kafka_conf_t* cconf = ssl_conf(name(boot_host), certs.path("ca.pem"));
  ASSERT_EQ(rd_kafka_conf_set(cconf, "group.id", "sni-group", err, sizeof err), RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(cconf, "auto.offset.reset", "earliest", err, sizeof err),
            RD_KAFKA_CONF_OK);
  rk_ptr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof err));
  ASSERT_TRUE(consumer) << err;
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "sni-e2e", RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  std::set<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (values.size() < static_cast<std::size_t>(n) &&
         std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (!m) continue;
    if (!m->err) values.insert(std::string(static_cast<const char*>(m->payload), m->len));
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(values.size(), static_cast<std::size_t>(n)) << proxy->output();
  rd_kafka_consumer_close(consumer.get());
}

TEST_F(SniRouting, AWrongNameGetsUnrecognizedNameAndOneLogLine) {
  const auto ec = tls_connect(port, certs.path("ca.pem"), "kafka.elsewhere.example");
  ASSERT_TRUE(ec);
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(ec.value())), SSL_R_TLSV1_UNRECOGNIZED_NAME)
      << ec.message();
  const auto lines = kpp::test::wait_lines(*proxy, "\"kafka.elsewhere.example\"", 1);
  ASSERT_EQ(lines.size(), 1u) << proxy->output();
  EXPECT_NE(lines[0].find("b{node_id}.kpp.test"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("unrecognized_name"), std::string::npos) << lines[0];
  EXPECT_EQ(kpp::test::metric_sum(admin,
                                  "kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                                  "cause=\"unrecognized_name\"}")
                .value_or(-1),
            1);
  // A name of the right shape but a leading zero is no broker's name either.
  EXPECT_TRUE(tls_connect(port, certs.path("ca.pem"), "b01.kpp.test"));
}

TEST_F(SniRouting, ANodeIdTheProxyDoesNotKnowIsClosedAfterTheHandshake) {
  // b9.kpp.test matches b{node_id}.kpp.test, but the cluster has no broker 9. Not refused in
  // the handshake (a Java client takes a handshake alert as fatal, while this is what a client
  // reconnecting to a cached name meets on a replica still discovering): the handshake
  // completes, then the connection closes with one line and a counter.
  EXPECT_FALSE(tls_connect(port, certs.path("ca.pem"), "b9.kpp.test")) << proxy->output();
  const auto lines = kpp::test::wait_lines(*proxy, "\"b9.kpp.test\"", 1);
  ASSERT_EQ(lines.size(), 1u) << proxy->output();
  EXPECT_NE(lines[0].find("node id 9"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("known node ids: 0, 1, 2"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("closed after the handshake"), std::string::npos) << lines[0];
  EXPECT_EQ(
      kpp::test::metric_sum(admin, "kafka_psc_proxy_protocol_errors_total{cause=\"unmapped_node\"}")
          .value_or(-1),
      1);
  EXPECT_EQ(kpp::test::metric_sum(admin,
                                  "kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                                  "cause=\"unrecognized_name\"}")
                .value_or(0),
            0);
  // A known broker's name still completes.
  EXPECT_FALSE(tls_connect(port, certs.path("ca.pem"), "b2.kpp.test")) << proxy->output();
}

TEST_F(SniRouting, NoSniGetsTheBootstrapRoute) {
  // Dialing the IP: no SNI is sent; the handshake completes (the certificate holds the IP).
  EXPECT_FALSE(tls_connect(port, certs.path("ca.pem"), "")) << proxy->output();
  // A Kafka client doing the same reaches the bootstrap servers and learns the broker names.
  rd_kafka_conf_t* conf = ssl_conf("127.0.0.1:" + std::to_string(port), certs.path("ca.pem"));
  char err[512];
  // librdkafka checks an IP bootstrap as a host name; the route is under test, not that.
  ASSERT_EQ(
      rd_kafka_conf_set(conf, "ssl.endpoint.identification.algorithm", "none", err, sizeof err),
      RD_KAFKA_CONF_OK);
  rk_ptr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  ASSERT_TRUE(rk) << err;
  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(rk.get(), 0, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR)
      << proxy->output();
  EXPECT_GE(md->broker_cnt, 3);
  for (int i = 0; i < md->broker_cnt; ++i)
    EXPECT_EQ(md->brokers[i].port, port) << md->brokers[i].host;
  rd_kafka_metadata_destroy(md);
  EXPECT_EQ(kpp::test::metric_sum(admin,
                                  "kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                                  "cause=\"unrecognized_name\"}")
                .value_or(-1),
            0);
}

TEST_F(SniRouting, APerNameCertificateIsChosenByTheServerName) {
  long serial = 0;
  ASSERT_FALSE(tls_connect(port, certs.path("ca.pem"), "b1.kpp.test", &serial)) << proxy->output();
  EXPECT_EQ(serial, 2002);  // sni.certificates[0] covers b1.kpp.test
  ASSERT_FALSE(tls_connect(port, certs.path("ca.pem"), "b0.kpp.test", &serial));
  EXPECT_EQ(serial, 1001);  // the wildcard tls.cert_file for every other name
  ASSERT_FALSE(tls_connect(port, certs.path("ca.pem"), boot_host, &serial));
  EXPECT_EQ(serial, 1001);
}

}  // namespace
