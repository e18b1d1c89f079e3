// @platformatic/kafka (a current pure-JavaScript client: Metadata v12, FindCoordinator v6,
// Produce v11, Fetch v17, DescribeCluster v0/v1) through the proxy in front of a 3-broker
// kfake cluster that the proxy knows one broker of. tests/node/e2e.mjs does the Kafka work
// and prints JSON; this test runs it with a bounded timeout and judges the JSON.
#include <gtest/gtest.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/node_runner.h"

using namespace std::chrono_literals;
using kpp::test::kfake_cluster;
using kpp::test::kfake_proxy;
using kpp::test::proxy_mode;
namespace pt = boost::property_tree;

// get_child(path, default) returns a reference: the default must outlive the loop.
const boost::property_tree::ptree no_children;

namespace {

class KfakeNodeClient : public ::testing::TestWithParam<proxy_mode> {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    KPP_REQUIRE_NODE(node_);
  }
  std::string node_;
};

// Runs e2e.mjs through the proxy and judges its JSON; `shuffle` moves leaders meanwhile.
// `pause_ms` spreads the produce batches over time (and reads the leaders at each pause).
void run_scenario(proxy_mode mode, const std::string& node, const std::string& shuffle, int n,
                  int pause_ms) {
  const std::string topic =
      std::string(shuffle.empty() ? "node-" : "node-shuffle-") + to_string(mode);
  const std::string group = "g-" + topic;
  kpp::test::kfake_options opts;
  opts.topics = topic;
  opts.shuffle = shuffle;
  kfake_cluster cluster(opts);
  ASSERT_TRUE(cluster.ok()) << cluster.output();
  auto proxy = kpp::test::start_proxy(cluster, mode);
  ASSERT_TRUE(proxy.process.running()) << proxy.process.output();

  // The client chases leaders that move every 200 ms through the produce and the group
  // consume: 400 messages took it 50-210 s here (as slow without the proxy), so the run
  // moves 200 and gets 240 s.
  const auto bound = shuffle.empty() ? 90s : 240s;
  const auto r =
      kpp::test::run_bounded({node, kpp::test::node_dir() + "/e2e.mjs", proxy.bootstrap(), topic,
                              group, std::to_string(n), std::to_string(pause_ms)},
                             bound);
  const std::string& err = r.err;
  ASSERT_NE(r.status, -1000) << "node script timed out\n" << err;
  pt::ptree json;
  std::istringstream in(r.out);
  try {
    pt::read_json(in, json);
  } catch (const std::exception& e) {
    FAIL() << "no JSON from the script (" << e.what() << "): " << r.out << "\n" << err;
  }
  EXPECT_EQ(r.status, 0) << json.get("error", std::string()) << "\n" << err;
  std::printf("[%s] node script: %s\n", to_string(mode), r.out.substr(0, 600).c_str());

  const auto is_proxy = [&](const std::string& host, int port, const std::string& where) {
    EXPECT_EQ(host, "127.0.0.1") << where;
    EXPECT_TRUE(proxy.is_proxy_port(port)) << where << ": " << host << ":" << port;
    EXPECT_FALSE(cluster.is_broker_port(port))
        << where << ": real broker " << host << ":" << port << " leaked";
  };
  const auto check_hostport = [&](const std::string& a, const std::string& where) {
    const auto colon = a.rfind(':');
    ASSERT_NE(colon, std::string::npos) << a;
    is_proxy(a.substr(0, colon), std::atoi(a.c_str() + colon + 1), where);
  };
  // Every address learned (Metadata, DescribeCluster, FindCoordinator) and every one dialed.
  std::size_t learned = 0, dialed = 0;
  for (const auto& [k, v] : json.get_child("learned", no_children))
    ++learned, check_hostport(v.data(), "learned");
  for (const auto& [k, v] : json.get_child("dialed", no_children))
    ++dialed, check_hostport(v.data(), "dialed");
  EXPECT_GE(learned, 3u);
  EXPECT_GE(dialed, 2u);

  std::map<int, int> metadata;  // node id -> port
  for (const auto& [k, b] : json.get_child("metadata", no_children)) {
    is_proxy(b.get<std::string>("host"), b.get<int>("port"), "metadata");
    metadata[b.get<int>("id")] = b.get<int>("port");
  }
  EXPECT_EQ(metadata.size(), 3u);
  for (const char* v : {"v0", "v1"}) {
    std::size_t brokers = 0;
    for (const auto& [k, b] : json.get_child(std::string("describeCluster.") + v, no_children)) {
      ++brokers;
      is_proxy(b.get<std::string>("host"), b.get<int>("port"), std::string("DescribeCluster ") + v);
      EXPECT_EQ(b.get<int>("port"), metadata[b.get<int>("id")]) << "DescribeCluster " << v;
    }
    EXPECT_EQ(brokers, 3u) << "DescribeCluster " << v;
  }
  std::size_t coordinators = 0;
  for (const auto& [k, c] : json.get_child("findCoordinator", no_children)) {
    ++coordinators;
    is_proxy(c.get<std::string>("host"), c.get<int>("port"), "FindCoordinator");
    EXPECT_EQ(c.get<int>("port"), metadata[c.get<int>("id")]) << "FindCoordinator";
  }
  EXPECT_EQ(coordinators, 2u);

  // Every message back exactly once, by content.
  std::multiset<std::string> consumed;
  for (const auto& [k, v] : json.get_child("consumed", no_children)) consumed.insert(v.data());
  EXPECT_EQ(consumed.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(consumed.count("node-" + std::to_string(i)), 1u) << i;
  // Committed offsets read back through OffsetFetch: one per message.
  long committed = 0;
  for (const auto& [k, c] : json.get_child("committed", no_children))
    if (c.get<std::string>("topic") == topic) committed += c.get<long>("offset");
  EXPECT_EQ(committed, n);

  // Nothing the client sent or kfake answered tripped the proxy.
  const auto metric = [&](const std::string& p) {
    const auto v = kpp::test::metric_sum(proxy.admin_port, p);
    EXPECT_TRUE(v.has_value()) << p << " is not exported";
    return v.value_or(-1);
  };
  EXPECT_EQ(metric("kafka_psc_proxy_protocol_errors_total"), 0);
  EXPECT_EQ(metric("kafka_psc_proxy_rewrite_failures_total"), 0);
  std::printf(
      "[%s node%s] rewrites: Metadata %ld, FindCoordinator %ld, DescribeCluster %ld, Produce %ld, "
      "Fetch %ld\n",
      to_string(mode), shuffle.empty() ? "" : " shuffle",
      metric("kafka_psc_proxy_rewrites_total{api_key=\"3\"}"),
      metric("kafka_psc_proxy_rewrites_total{api_key=\"10\"}"),
      metric("kafka_psc_proxy_rewrites_total{api_key=\"60\"}"),
      metric("kafka_psc_proxy_rewrites_total{api_key=\"0\"}"),
      metric("kafka_psc_proxy_rewrites_total{api_key=\"1\"}"));
  if (!shuffle.empty()) {
    // The scenario is only worth something if leaders moved under the client, and the
    // NOT_LEADER_OR_FOLLOWER answers' KIP-951 NodeEndpoints (Produce v11, Fetch v17) were
    // rewritten on their way to it (a rewrite is counted only when an address changed).
    int moved = 0;
    for (const auto& [partition, ids] : json.get_child("leaders", no_children))
      moved += ids.size() > 1 ? 1 : 0;
    EXPECT_GT(moved, 0) << "no leader move reached the client";
    EXPECT_GT(metric("kafka_psc_proxy_rewrites_total{api_key=\"0\"}") +
                  metric("kafka_psc_proxy_rewrites_total{api_key=\"1\"}"),
              0)
        << "no Produce or Fetch response with NodeEndpoints was rewritten";
    std::printf("[%s node shuffle] partitions whose leader moved under the client: %d\n",
                to_string(mode), moved);
  }
  EXPECT_EQ(proxy.process.stop(), 0) << proxy.process.output();
  cluster.stop();
  std::printf("[%s node%s] %s", to_string(mode), shuffle.empty() ? "" : " shuffle",
              cluster.request_summary().c_str());
  const auto counts = cluster.request_counts();
  // The versions this client is known to negotiate reached kfake through the proxy.
  for (const auto& [key, version] :
       std::vector<std::pair<int, int>>{{3, 12}, {10, 6}, {0, 11}, {1, 17}, {60, 0}, {60, 1}})
    EXPECT_GT(counts.count({key, version}) ? counts.at({key, version}) : 0, 0)
        << "key " << key << " v" << version << " never reached kfake";
}

TEST_P(KfakeNodeClient, MetadataDescribeClusterProduceGroupConsumeCommit) {
  run_scenario(GetParam(), node_, "", 120, 0);
}

// Leaders move every 200ms while the client produces (Produce v11) and fetches (Fetch v17):
// NOT_LEADER_OR_FOLLOWER answers carry KIP-951 NodeEndpoints, which must reach the client
// rewritten (it dials them: the "dialed" list is checked).
TEST_P(KfakeNodeClient, LeaderMovesUnderLoad) {
  run_scenario(GetParam(), node_, "200ms", 200, 150);
}

INSTANTIATE_TEST_SUITE_P(Modes, KfakeNodeClient,
                         ::testing::Values(proxy_mode::yaml_node_id, proxy_mode::grepplabs_flags),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

}  // namespace
