// upstream.sasl: the proxy logs in to a SASL-only kfake cluster on its clients' behalf, with
// each mechanism, for discovery (the proxy gets ready) and for every session (a librdkafka
// client without credentials produces and consumes through it). Wrong proxy credentials fail
// clearly and nothing hangs; a client that sends SASL itself gets an error answer.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/kfake.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* user = "proxyuser";
constexpr const char* password = "proxy-secret";

class SaslUpstreamLogin : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    kfake_options o;
    o.brokers = 2;
    o.topics = "sasl-e2e";
    o.partitions = 2;
    for (const char* m : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
      o.sasl.push_back(std::string(m) + ":" + user + ":" + password);
    cluster_ = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
  }

  // A password file readable by its owner only, as the proxy insists.
  std::string password_file(const std::string& content) {
    const auto path = dir_.path("password-" + std::to_string(++files_));
    std::ofstream(path) << content << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  std::unique_ptr<proxy_process> start(node_id_proxy& p, const std::string& mechanism,
                                       const std::string& pass) {
    p = node_id_proxy::for_cluster(cluster_->address(0), 1);
    p.extra_yaml = "upstream:\n  sasl:\n    mechanism: " + mechanism + "\n    username: " + user +
                   "\n    password_file: " + password_file(pass) + "\ntimeouts:\n  dial: 3s\n";
    return std::make_unique<proxy_process>(proxy_process::with_yaml(p.yaml()));
  }

  cert_dir dir_;
  int files_ = 0;
  std::unique_ptr<kfake_cluster> cluster_;
};

TEST_F(SaslUpstreamLogin, ClientWithoutCredentialsProducesAndConsumesWithEveryMechanism) {
  int round = 0;
  for (const std::string mech : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    SCOPED_TRACE(mech);
    ++round;
    node_id_proxy p;
    auto proxy = start(p, mech, password);
    // Ready means discovery logged in and learned both brokers.
    ASSERT_TRUE(proxy->wait_ready(p.admin_port)) << proxy->output();
    const std::string topic = "sasl-e2e";
    {
      producer prod(p.bootstrap());
      for (int i = 0; i < 20; ++i)
        ASSERT_TRUE(prod.produce(topic, test_key(mech, i), test_value(mech, i)))
            << prod.last_error();
      ASSERT_TRUE(prod.flush(30s)) << prod.last_error() << "\n" << proxy->output();
      EXPECT_EQ(prod.delivered(), 20u);
      EXPECT_EQ(prod.failed(), 0u);
    }
    consumer cons(p.bootstrap(), "g-" + mech);
    ASSERT_TRUE(cons.subscribe({topic}));
    // Earlier rounds' records are in the topic too; every one of this round's must arrive.
    const auto records = cons.poll_records(20 * round, 30s);
    std::set<std::string> seen;
    for (const auto& r : records)
      if (r.key.rfind(mech + "-", 0) == 0) seen.insert(r.key + "=" + r.value);
    for (int i = 0; i < 20; ++i)
      EXPECT_TRUE(seen.count(test_key(mech, i) + "=" + test_value(mech, i))) << test_key(mech, i);
    cons.close();
    EXPECT_TRUE(lines_containing(proxy->output(), "login as proxyuser failed").empty())
        << proxy->output();
    EXPECT_EQ(proxy->stop(), 0) << proxy->output();
  }
}

TEST_F(SaslUpstreamLogin, WrongProxyPasswordFailsClearlyAndNothingHangs) {
  node_id_proxy p;
  auto proxy = start(p, "SCRAM-SHA-512", "not-the-password");
  // Discovery cannot log in: /ready says so.
  ASSERT_TRUE(proxy->wait_for_output("SASL SCRAM-SHA-512 login as proxyuser failed", 20s))
      << proxy->output();
  const auto ready = http_get(p.admin_port, "/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("SASL"), std::string::npos) << ready.body;
  // A client is closed, with one line quoting what the broker did.
  raw_client c(p.bootstrap_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(18, 0, 1)));  // ApiVersions v0
  EXPECT_FALSE(c.read_frame(10s));
  EXPECT_TRUE(c.closed_by_peer(1s));
  EXPECT_TRUE(proxy->wait_for_output("closed: 127.0.0.1:", 10s)) << proxy->output();
  EXPECT_EQ(proxy->stop(), 0) << proxy->output();
}

TEST_F(SaslUpstreamLogin, ClientSaslHandshakeGetsAnErrorAnswer) {
  node_id_proxy p;
  auto proxy = start(p, "PLAIN", password);
  ASSERT_TRUE(proxy->wait_ready(p.admin_port)) << proxy->output();
  raw_client c(p.bootstrap_port);
  ASSERT_TRUE(c.connected());
  bytes body;
  const std::string mech = "PLAIN";
  put_i16(body, static_cast<std::int16_t>(mech.size()));
  body.insert(body.end(), mech.begin(), mech.end());
  ASSERT_TRUE(c.send(request_frame(17, 1, 7, body)));  // SaslHandshake v1
  const auto answer = c.read_frame(10s);
  ASSERT_TRUE(answer) << proxy->output();
  ASSERT_GE(answer->size(), 10u);
  EXPECT_EQ(get_i32(*answer, 0), 7);   // correlation id
  EXPECT_EQ(get_i16(*answer, 4), 33);  // UNSUPPORTED_SASL_MECHANISM
  EXPECT_EQ(get_i32(*answer, 6), 0);   // no mechanisms offered
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_TRUE(proxy->wait_for_output("this proxy logs in to the brokers itself", 5s))
      << proxy->output();
  EXPECT_EQ(proxy->stop(), 0) << proxy->output();
}

// SASL_SSL: with upstream.tls the login runs after the TLS handshake, for discovery and
// sessions alike.
TEST(SaslUpstreamLoginOverTls, ClientWithoutCredentialsProducesThroughSaslSsl) {
  KPP_REQUIRE_KFAKE();
  cert_dir certs;
  ASSERT_TRUE(certs.make_ca("ca"));
  ASSERT_TRUE(certs.make_server("ca", "broker", 1001));
  kfake_options o;
  o.brokers = 2;
  o.topics = "sasl-ssl";
  o.partitions = 2;
  o.sasl = {std::string("SCRAM-SHA-256:") + user + ":" + password};
  o.extra_args = {"-tls-cert", certs.path("broker.pem"), "-tls-key", certs.path("broker.key")};
  kfake_cluster cluster(o);
  ASSERT_TRUE(cluster.ok()) << cluster.output();
  const auto pw = certs.path("sasl-password");
  std::ofstream(pw) << password << "\n";
  ::chmod(pw.c_str(), 0600);
  auto p = node_id_proxy::for_cluster(cluster.address(0), 1);
  p.extra_yaml = "upstream:\n  tls:\n    enabled: true\n    ca_file: " + certs.path("ca.pem") +
                 "\n    refresh: 0s\n  sasl:\n    mechanism: SCRAM-SHA-256\n    username: " + user +
                 "\n    password_file: " + pw + "\n";
  proxy_process proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();
  {
    producer prod(p.bootstrap());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(prod.produce("sasl-ssl", test_key("ssl", i), test_value("ssl", i)))
          << prod.last_error();
    ASSERT_TRUE(prod.flush(30s)) << prod.last_error() << "\n" << proxy.output();
    EXPECT_EQ(prod.delivered(), 20u);
  }
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
}  // namespace kpp::test
