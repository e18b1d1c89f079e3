// brokers.max_brokers: the listeners a cluster's responses can make the proxy open are capped.
// A broker beyond the cap gets no listener; it is counted like a port collision, logged, and
// /ready says which broker and which setting.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

TEST(MaxBrokers, ABrokerBeyondTheCapIsRefusedAndNamedByReady) {
  mock_cluster mock(3);  // node ids 1..3
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  // The option belongs under brokers:, which the helper writes before extra_yaml: add it
  // right after the port policy line.
  auto yaml = setup.yaml();
  yaml.replace(yaml.find("  port_policy: node-id\n"), 22,
               "  port_policy: node-id\n  max_brokers: 2\n");
  auto proxy = proxy_process::with_yaml(yaml);

  // Poll until discovery has run and /ready names the refused broker.
  http_reply ready;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    ready = http_get(setup.admin_port, "/ready");
    if (ready.body.find("max_brokers") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ready.status, 503) << ready.body << proxy.output();
  EXPECT_NE(ready.body.find("broker 3"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("brokers.max_brokers"), std::string::npos) << ready.body;
  EXPECT_GE(scrape(setup.admin_port, "kafka_psc_proxy_port_collisions_total").value_or(0), 1);
  EXPECT_TRUE(proxy.wait_for_output("beyond brokers.max_brokers (2)", 5s)) << proxy.output();
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
