// Pass-through SASL (clients log in to the brokers through the proxy; no upstream.sasl) in
// front of a SASL-only kfake cluster, plaintext and SASL_SSL (upstream.tls):
// - without discovery.sasl, discovery cannot read Metadata: the proxy says so in one line,
//   gets ready (degraded, passive discovery) and a SASL client (franz-go) produces and
//   consumes through it, brokers bound as its responses name them;
// - with discovery.sasl, discovery logs in and binds every broker before any client comes,
//   while clients still log in themselves;
// - with a wrong discovery.sasl password the proxy is not ready and /ready quotes the broker.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/optional_tools.h"
#include "support/poll.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* user = "alice";
constexpr const char* password = "alice-secret";

std::string kgo_bench() {
  if (const char* env = std::getenv("KPP_KGO_BENCH")) return first_executable({env});
  return first_executable({KPP_SOURCE_DIR "/../shared/tools/kgo-bench"});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// kgo-bench's and the broker's SASL user, as kfake's -sasl and kgo-bench's -sasl spell it.
std::string sasl_spec(const std::string& mech, const std::string& pw = password) {
  return mech + ":" + user + ":" + pw;
}

// A SASL-only kfake cluster (SASL_SSL with `tls`) and a pass-through proxy in front of it.
class DiscoverySasl : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    kfake_options o;
    o.brokers = 2;
    o.topics = "disc-sasl";
    o.partitions = 2;
    o.sasl = {sasl_spec("SCRAM-SHA-512"), sasl_spec("PLAIN")};
    if (tls()) {
      ASSERT_TRUE(dir_.make_ca("ca"));
      ASSERT_TRUE(dir_.make_server("ca", "broker", 1001));
      o.extra_args = {"-tls-cert", dir_.path("broker.pem"), "-tls-key", dir_.path("broker.key")};
    }
    cluster_ = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
  }

  [[nodiscard]] bool tls() const { return GetParam(); }

  // A password file readable by its owner only, as the proxy insists.
  std::string password_file(const std::string& content) {
    const auto path = dir_.path("password-" + std::to_string(++files_));
    std::ofstream(path) << content << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  // `discovery_sasl`: the YAML under discovery.sasl (indented 4), or empty for none. Discovery
  // polls every 200 ms so that a once-per-round log line would show.
  void start_proxy(const std::string& discovery_sasl = "") {
    p_ = node_id_proxy::for_cluster(cluster_->address(0), 1);
    std::string extra = "timeouts:\n  dial: 3s\n";
    if (tls())
      extra += "upstream:\n  tls:\n    enabled: true\n    ca_file: " + dir_.path("ca.pem") +
               "\n    refresh: 0s\n";
    p_.extra_yaml = extra;
    // The setup's own discovery section, replaced (a second `discovery:` key would be ignored).
    std::string yaml = p_.yaml();
    const std::string setup_discovery = "discovery:\n  metadata_refresh: 1s\n";
    const auto at = yaml.find(setup_discovery);
    ASSERT_NE(at, std::string::npos) << yaml;
    std::string discovery = "discovery:\n  metadata_refresh: 200ms\n";
    if (!discovery_sasl.empty()) discovery += "  sasl:\n" + discovery_sasl;
    yaml.replace(at, setup_discovery.size(), discovery);
    proxy_ = std::make_unique<proxy_process>(proxy_process::with_yaml(yaml));
  }

  // kgo-bench through the proxy, logging in itself (pass-through); exit status, output.
  int bench(const std::string& topic, std::string& out) {
    const auto log = dir_.path("bench-" + std::to_string(++runs_) + ".log");
    const std::string cmd = "timeout 90 " + kgo_bench() + " -b " + p_.bootstrap() + " -t " + topic +
                            " -n 200 -s 100 -timeout 30s -sasl " + sasl_spec("SCRAM-SHA-512") +
                            " > " + log + " 2>&1";
    const int status = std::system(cmd.c_str());
    out = read_file(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  [[nodiscard]] std::optional<long> metric(const std::string& series) const {
    return metric_sum(p_.admin_port, series);
  }

  cert_dir dir_;
  int files_ = 0;
  int runs_ = 0;
  std::unique_ptr<kfake_cluster> cluster_;
  node_id_proxy p_;
  std::unique_ptr<proxy_process> proxy_;
};

TEST_P(DiscoverySasl, WithoutDiscoveryCredentialsReadyDegradedAndClientsPassThrough) {
  KPP_REQUIRE_TOOL(!kgo_bench().empty(), "kgo-bench",
                   "set KPP_KGO_BENCH or put it at ../shared/tools/kgo-bench");
  ASSERT_NO_FATAL_FAILURE(start_proxy());
  ASSERT_TRUE(proxy_->wait_ready(p_.admin_port)) << proxy_->output();
  const auto ready = http_get(p_.admin_port, "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_NE(ready.body.find("degraded: discovery is passive"), std::string::npos) << ready.body;
  EXPECT_EQ(metric("kafka_psc_proxy_discovery_passive"), 1);
  EXPECT_EQ(metric("kafka_psc_proxy_brokers"), 0);  // nothing learnt before a client came
  const auto status = http_get(p_.admin_port, "/status.json");
  EXPECT_NE(status.body.find("\"passive\":true"), std::string::npos) << status.body;

  std::string out;
  ASSERT_EQ(bench("disc-sasl", out), 0) << out << "\n" << proxy_->output();
  EXPECT_NE(out.find("produce 200 recs 100 B"), std::string::npos) << out;
  EXPECT_NE(out.find("failed 0"), std::string::npos) << out;
  EXPECT_NE(out.find("consume 200 recs"), std::string::npos) << out;
  // Both brokers were bound as the client's Metadata named them.
  EXPECT_FALSE(proxy_->output().find("broker 1: listening on") == std::string::npos)
      << proxy_->output();

  // Discovery keeps polling (every 200 ms): a dozen ApiVersions more than the client sends.
  ASSERT_TRUE(poll_until(
      [&] {
        long n = 0;
        for (const auto& [key_version, count] : cluster_->request_counts())
          if (key_version.first == 18) n += count;
        return n >= 16;
      },
      20s))
      << cluster_->request_summary();
  // It said so once, naming the fix.
  const auto lines = lines_containing(proxy_->output(), "pass-through SASL mode");
  ASSERT_EQ(lines.size(), 1u) << proxy_->output();
  EXPECT_NE(lines[0].find("requires SASL"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("discovery.sasl"), std::string::npos) << lines[0];
  EXPECT_TRUE(lines_containing(proxy_->output(), "discovery failed").empty()) << proxy_->output();
  EXPECT_EQ(metric("kafka_psc_proxy_discovery_failures_total"), 0);
  EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
}

TEST_P(DiscoverySasl, WithDiscoveryCredentialsEveryBrokerIsBoundBeforeAnyClient) {
  ASSERT_NO_FATAL_FAILURE(
      start_proxy("    mechanism: SCRAM-SHA-512\n    username: " + std::string(user) +
                  "\n    password_file: " + password_file(password) + "\n"));
  ASSERT_TRUE(proxy_->wait_ready(p_.admin_port)) << proxy_->output();
  EXPECT_EQ(http_get(p_.admin_port, "/ready").body, "ready\n");
  EXPECT_EQ(metric("kafka_psc_proxy_brokers"), 2);
  EXPECT_EQ(metric("kafka_psc_proxy_discovery_passive"), 0);
  EXPECT_TRUE(proxy_->wait_for_output("discovered 2 broker(s)", 5s)) << proxy_->output();
  EXPECT_TRUE(proxy_->wait_for_output("broker 1: listening on", 5s)) << proxy_->output();
  EXPECT_TRUE(lines_containing(proxy_->output(), "pass-through SASL mode").empty())
      << proxy_->output();
  if (!kgo_bench().empty()) {
    // Client sessions stay pass-through: franz-go logs in itself (a proxy logging in on its
    // behalf would answer its SaslHandshake with an error).
    std::string out;
    EXPECT_EQ(bench("disc-sasl", out), 0) << out << "\n" << proxy_->output();
    EXPECT_NE(out.find("failed 0"), std::string::npos) << out;
  }
  EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
}

TEST_P(DiscoverySasl, AWrongDiscoveryPasswordIsNotReadyAndQuotesTheBroker) {
  ASSERT_NO_FATAL_FAILURE(
      start_proxy("    mechanism: SCRAM-SHA-512\n    username: " + std::string(user) +
                  "\n    password_file: " + password_file("not-the-password") + "\n"));
  const std::string failed = "SASL SCRAM-SHA-512 login as alice failed";
  ASSERT_TRUE(proxy_->wait_for_output(failed, 20s)) << proxy_->output();
  // Several failed rounds (every 200 ms at most, 1 s apart while failing), one log line.
  ASSERT_TRUE(poll_until(
      [&] { return metric("kafka_psc_proxy_discovery_failures_total").value_or(0) >= 4; }, 20s))
      << proxy_->output();
  const auto ready = http_get(p_.admin_port, "/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("discovery failing: "), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(failed), std::string::npos) << ready.body;
  EXPECT_EQ(lines_containing(proxy_->output(), failed).size(), 1u) << proxy_->output();
  EXPECT_EQ(metric("kafka_psc_proxy_discovery_passive"), 0);
  EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
}

INSTANTIATE_TEST_SUITE_P(Legs, DiscoverySasl, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("SaslSsl") : std::string("SaslPlaintext");
                         });

}  // namespace
}  // namespace kpp::test
