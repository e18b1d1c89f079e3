// The shipped alerting rules and dashboard (config/monitoring/) use only metric names the
// proxy exports: start the real binary, read /metrics, and find a `# TYPE` line for every
// kafka_psc_proxy_* name either file mentions. A rename on either side fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> metric_names(const std::string& text) {
  std::set<std::string> out;
  static const std::regex name(R"(kafka_psc_proxy_[a-z0-9_]*[a-z0-9])");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it)
    out.insert(it->str());
  return out;
}

TEST(MonitoringDrift, EveryMetricTheRulesAndDashboardUseIsExported) {
  const std::string dir = std::string(KPP_SOURCE_DIR) + "/config/monitoring/";
  const auto alerts = read_file(dir + "alerts.yaml");
  const auto dashboard = read_file(dir + "dashboard.json");
  ASSERT_FALSE(alerts.empty()) << dir << "alerts.yaml";
  ASSERT_FALSE(dashboard.empty()) << dir << "dashboard.json";
  auto used = metric_names(alerts);
  for (const auto& n : metric_names(dashboard)) used.insert(n);
  // Both files name the metrics that matter; a regex that found nothing would prove nothing.
  ASSERT_TRUE(used.contains("kafka_psc_proxy_ready"));
  ASSERT_TRUE(used.contains("kafka_psc_proxy_broker_map_hash"));

  // A proxy whose bootstrap server does not answer still exports every family; with TLS
  // listeners, so the certificate metrics the expiry alert reads are there too.
  cert_dir certs;
  ASSERT_TRUE(certs.ok() && certs.make_ca("ca") && certs.make_server("ca", "server", 1))
      << "openssl could not make a test certificate";
  auto p = node_id_proxy::for_cluster("127.0.0.1:" + std::to_string(free_port()), 2);
  auto proxy =
      proxy_process::with_yaml(p.yaml() + "tls:\n  cert_file: " + certs.path("server.pem") +
                               "\n  key_file: " + certs.path("server.key") + "\n");
  http_reply metrics;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && proxy.running()) {
    metrics = http_get(p.admin_port, "/metrics");
    if (metrics.status == 200) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(metrics.status, 200) << proxy.output();

  std::set<std::string> exported;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    exported.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  for (const auto& name : used) {
    EXPECT_TRUE(exported.contains(name))
        << name << " is used by config/monitoring/ but the proxy does not export it";
  }
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
}  // namespace kpp::test
