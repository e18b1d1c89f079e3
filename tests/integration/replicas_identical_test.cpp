// The node-id policy's promise: replicas started in any order, discovering from any broker,
// serve the same broker map, so several of them can sit behind one load balancer. Checked
// one after another on the same ports, and side by side on two port bases.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

// The broker listeners a replica reports in /metrics (the label sets of
// listener_connections_total for listener="broker"), one line each, sorted.
std::set<std::string> broker_listener_series(std::uint16_t admin_port) {
  std::set<std::string> out;
  std::istringstream in(http_get(admin_port, "/metrics").body);
  std::string line;
  const std::string family = "kafka_psc_proxy_listener_connections_total{";
  while (std::getline(in, line))
    if (line.rfind(family, 0) == 0 && line.find("listener=\"broker\"") != std::string::npos)
      out.insert(line.substr(0, line.find('}') + 1));
  return out;
}

struct replica_view {
  std::string raw_map;     // raw Metadata v1 through the bootstrap listener
  std::string client_map;  // what a librdkafka client was told
  std::set<std::string> listeners;
};

replica_view observe(const node_id_proxy& setup) {
  replica_view v;
  std::string error;
  auto raw = raw_metadata(setup.bootstrap_port, 1, &error);
  EXPECT_TRUE(raw) << error;
  if (raw) v.raw_map = describe(*raw);
  producer client(setup.bootstrap());
  v.client_map = describe(client_metadata(client.get()));
  v.listeners = broker_listener_series(setup.admin_port);
  return v;
}

// The map with every port made relative to `base` ("1=h:1" for base + 1).
std::string relative(std::uint16_t base, const std::vector<broker_address>& list) {
  std::vector<broker_address> rel;
  for (auto b : list) {
    b.port -= base;
    rel.push_back(b);
  }
  return describe(rel);
}

TEST(ReplicasIdentical, OneAfterAnotherOnTheSamePortsFromDifferentBootstrapBrokers) {
  mock_cluster mock(3);
  const auto brokers = mock.broker_addresses();
  auto setup = node_id_proxy::for_cluster(brokers.at(0), 3);
  setup.advertised_host = "b{node_id}.replica.test";

  replica_view a;
  {
    auto proxy = proxy_process::with_yaml(setup.yaml());
    ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();
    a = observe(setup);
    ASSERT_EQ(proxy.stop(), 0) << proxy.output();
  }
  // Replica B learns the cluster from broker 3 first (broker 1 last): another discovery order.
  setup.upstream = brokers.at(2) + "," + brokers.at(1) + "," + brokers.at(0);
  replica_view b;
  {
    auto proxy = proxy_process::with_yaml(setup.yaml());
    ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();
    b = observe(setup);
    ASSERT_EQ(proxy.stop(), 0) << proxy.output();
  }
  const std::string want = describe({{1, "b1.replica.test", setup.broker_port(1)},
                                     {2, "b2.replica.test", setup.broker_port(2)},
                                     {3, "b3.replica.test", setup.broker_port(3)}});
  EXPECT_EQ(a.raw_map, want);
  EXPECT_EQ(b.raw_map, a.raw_map);
  EXPECT_EQ(a.client_map, want);
  EXPECT_EQ(b.client_map, a.client_map);
  EXPECT_EQ(a.listeners.size(), 3u);
  EXPECT_EQ(b.listeners, a.listeners);
}

TEST(ReplicasIdentical, SideBySideOnTwoPortBasesServeTheSameMapModuloTheBase) {
  mock_cluster mock(3);
  mock.create_topic("replicas", 3);
  const auto brokers = mock.broker_addresses();
  auto a = node_id_proxy::for_cluster(brokers.at(0), 3);
  auto b = node_id_proxy::for_cluster(brokers.at(2) + "," + brokers.at(1), 3);
  ASSERT_NE(a.base_port, b.base_port);

  // B starts first: start order must not matter either.
  auto proxy_b = proxy_process::with_yaml(b.yaml());
  ASSERT_TRUE(proxy_b.wait_ready(b.admin_port)) << proxy_b.output();
  auto proxy_a = proxy_process::with_yaml(a.yaml());
  ASSERT_TRUE(proxy_a.wait_ready(a.admin_port)) << proxy_a.output();

  std::string error;
  auto map_a = raw_metadata(a.bootstrap_port, 2, &error);
  ASSERT_TRUE(map_a) << error;
  auto map_b = raw_metadata(b.bootstrap_port, 2, &error);
  ASSERT_TRUE(map_b) << error;
  EXPECT_EQ(relative(a.base_port, *map_a), "1=127.0.0.1:1 2=127.0.0.1:2 3=127.0.0.1:3");
  EXPECT_EQ(relative(b.base_port, *map_b), relative(a.base_port, *map_a));

  // Both serve traffic at the same time, each on its own advertised ports: one message to
  // every partition (leaders on all three brokers) through each replica.
  for (const auto* setup : {&a, &b}) {
    producer client(setup->bootstrap());
    for (int part = 0; part < 3; ++part)
      ASSERT_TRUE(client.produce("replicas", "k", "v", part)) << client.last_error();
    EXPECT_TRUE(client.flush(20s)) << client.last_error();
    EXPECT_EQ(client.delivered(), 3u) << "through the replica on " << setup->bootstrap();
  }
  EXPECT_EQ(proxy_a.stop(), 0) << proxy_a.output();
  EXPECT_EQ(proxy_b.stop(), 0) << proxy_b.output();
}

}  // namespace
