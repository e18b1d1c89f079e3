// The proxy is told ONE bootstrap broker of a three-broker cluster; every address a client
// is handed (Metadata at several versions, FindCoordinator) must be a proxy address built
// from the node-id rule, and none may be a real broker port.
#include <gtest/gtest.h>

#include <set>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

std::set<int> mock_ports(const mock_cluster& mock) {
  std::set<int> ports;
  for (const auto& a : mock.broker_addresses()) ports.insert(std::stoi(a.substr(a.rfind(':') + 1)));
  return ports;
}

// What the proxy must advertise for node ids 1..3.
std::string expected_map(const node_id_proxy& p, const std::string& host_prefix,
                         const std::string& host_suffix) {
  std::vector<broker_address> want;
  for (int id = 1; id <= 3; ++id)
    want.push_back({id, host_prefix + (host_suffix.empty() ? "" : std::to_string(id) + host_suffix),
                    p.broker_port(id)});
  return describe(want);
}

class MetadataRewrite : public ::testing::Test {
 protected:
  void start(const std::string& advertised_host) {
    mock_.create_topic("rewrite-topic", 3);
    setup_ = node_id_proxy::for_cluster(mock_.broker_addresses().at(0), 3);
    setup_.advertised_host = advertised_host;
    proxy_.emplace(proxy_process::with_yaml(setup_.yaml()));
    ASSERT_TRUE(proxy_->wait_ready(setup_.admin_port)) << proxy_->output();
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }

  mock_cluster mock_{3};
  node_id_proxy setup_;
  std::optional<proxy_process> proxy_;
};

TEST_F(MetadataRewrite, LibrdkafkaClientSeesOnlyProxyAddressesAndCanUseThem) {
  start("127.0.0.1");
  producer client(setup_.bootstrap());
  const auto brokers = client_metadata(client.get());
  EXPECT_EQ(describe(brokers), expected_map(setup_, "127.0.0.1", ""));
  const auto real = mock_ports(mock_);
  for (const auto& b : brokers)
    EXPECT_EQ(real.count(b.port), 0u) << "real broker leaked: " << b.str();

  // The advertised addresses work: one message per partition reaches all three leaders'
  // listeners (the mock spreads leaders over the brokers).
  for (int part = 0; part < 3; ++part)
    ASSERT_TRUE(client.produce("rewrite-topic", "k", "v" + std::to_string(part), part));
  EXPECT_TRUE(client.flush(20s)) << client.last_error();
  EXPECT_EQ(client.delivered(), 3u);
  EXPECT_EQ(client.failed(), 0u) << client.last_error();
}

TEST_F(MetadataRewrite,
       RawMetadataV0ToV2ThroughBootstrapAndBrokerListenersListsOnlyProxyAddresses) {
  // A host template proves the host is rewritten too, not only the port (the mock also says
  // 127.0.0.1). The names need not resolve: nothing dials them here.
  start("b{node_id}.proxy.test");
  const auto want = expected_map(setup_, "b", ".proxy.test");
  for (std::int16_t version = 0; version <= 2; ++version) {
    for (const std::uint16_t port : {setup_.bootstrap_port, setup_.broker_port(2)}) {
      std::string error;
      auto brokers = raw_metadata(port, version, &error);
      ASSERT_TRUE(brokers) << "v" << version << " via port " << port << ": " << error << "\n"
                           << proxy_->output();
      EXPECT_EQ(describe(*brokers), want) << "v" << version << " via port " << port;
    }
  }
  // Several requests on one connection keep working (the rewrite keeps the frame stream
  // aligned).
  raw_client c(setup_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    std::string error;
    auto brokers = metadata_round_trip(c, static_cast<std::int16_t>(1 + i % 2), 100 + i, &error);
    ASSERT_TRUE(brokers) << error;
    EXPECT_EQ(describe(*brokers), want);
  }
  const auto rewrites = scrape(setup_.admin_port, "kafka_psc_proxy_rewrites_total{api_key=\"3\"}");
  ASSERT_TRUE(rewrites.has_value());
  EXPECT_GE(*rewrites, 11.0);
}

TEST_F(MetadataRewrite, FindCoordinatorThroughTheProxyNamesAProxyAddress) {
  start("b{node_id}.proxy.test");
  const auto real = mock_ports(mock_);
  raw_client c(setup_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  for (std::int16_t version = 0; version <= 2; ++version) {
    std::string error;
    auto coordinator =
        find_coordinator_round_trip(c, version, 7 + version, "rewrite-group", &error);
    ASSERT_TRUE(coordinator) << "v" << version << ": " << error << "\n" << proxy_->output();
    ASSERT_GE(coordinator->id, 1);
    ASSERT_LE(coordinator->id, 3);
    EXPECT_EQ(coordinator->host, "b" + std::to_string(coordinator->id) + ".proxy.test");
    EXPECT_EQ(coordinator->port, setup_.broker_port(coordinator->id));
    EXPECT_EQ(real.count(coordinator->port), 0u);
  }
}

}  // namespace
