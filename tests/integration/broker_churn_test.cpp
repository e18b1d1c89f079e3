// Brokers going down and up and partition leaders moving while an idempotent producer runs
// through the proxy: at the end the log holds every produced message exactly once (read back,
// a consumer's redelivery told apart by its offset), and the proxy is still ready and still
// hands out only its own addresses.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <utility>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

constexpr int partitions = 6;

// Waits until the producer delivered `n` more messages than `from`; bounded.
bool progressed(const producer& p, std::uint64_t from, std::uint64_t n,
                std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (p.delivered() < from + n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);  // polling a counter the producer thread moves
  }
  return true;
}

TEST(BrokerChurn, NoMessageLostOrDuplicatedWhileBrokersFlapAndLeadersMove) {
  mock_cluster mock(3);
  mock.create_topic("churn", partitions);
  // The proxy knows broker 1 only; broker 3 (never a bootstrap) is the one that flaps.
  auto setup = node_id_proxy::for_cluster(mock.broker_addresses().at(0), 3);
  auto proxy = proxy_process::with_yaml(setup.yaml());
  ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();

  producer p(setup.bootstrap(), {{"enable.idempotence", "true"},
                                 {"linger.ms", "5"},
                                 {"retry.backoff.ms", "50"},
                                 {"topic.metadata.refresh.interval.ms", "1000"},
                                 {"log_level", "0"}});  // broker-down noise is expected
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> produced{0};
  std::atomic<bool> produce_failed{false};
  std::thread load([&] {
    // At most 2000 messages undelivered at a time, so the run stays small; the steps below
    // gate on delivery progress.
    for (std::uint64_t i = 0; !stop.load(); ++i) {
      while (i - p.delivered() - p.failed() >= 2000 && !stop.load()) p.poll(5ms);
      if (!p.produce("churn", test_key("ch", i), test_value("ch", i), RD_KAFKA_PARTITION_UA, 60s)) {
        produce_failed = true;
        return;
      }
      produced = i + 1;
      if (i % 64 == 0) p.poll(1ms);
    }
  });
  auto step = [&](const char* what, auto&& action) {
    const auto before = p.delivered();
    action();
    EXPECT_TRUE(progressed(p, before, 500)) << "no delivery progress after: " << what;
  };

  EXPECT_TRUE(progressed(p, 0, 500));
  step("broker 3 down", [&] { rd_kafka_mock_broker_set_down(mock.get(), 3); });
  step("leaders moved off broker 3", [&] {
    for (int part = 0; part < partitions; ++part)
      rd_kafka_mock_partition_set_leader(mock.get(), "churn", part, 1 + part % 2);
  });
  step("broker 3 up", [&] { rd_kafka_mock_broker_set_up(mock.get(), 3); });
  step("leaders spread over all three", [&] {
    for (int part = 0; part < partitions; ++part)
      rd_kafka_mock_partition_set_leader(mock.get(), "churn", part, 3 - part % 3);
  });
  step("broker 2 down", [&] { rd_kafka_mock_broker_set_down(mock.get(), 2); });
  step("broker 2 up", [&] { rd_kafka_mock_broker_set_up(mock.get(), 2); });
  stop = true;
  load.join();
  ASSERT_FALSE(produce_failed.load()) << p.last_error();
  const auto total = produced.load();
  ASSERT_TRUE(p.flush(60s)) << "undelivered: " << rd_kafka_outq_len(p.get());
  EXPECT_EQ(p.delivered(), total);
  EXPECT_EQ(p.failed(), 0u) << p.last_error();

  consumer c(setup.bootstrap(), "churn-group", {{"log_level", "0"}});
  ASSERT_TRUE(c.subscribe({"churn"}));
  // A record delivered again (same partition and offset: the group rebalanced before a commit,
  // which a loaded machine can cause) is the consumer's doing; the same key at two offsets would
  // be a duplicate in the log. Read until every offset the log holds has come once.
  std::map<std::pair<std::int32_t, std::int64_t>, record> by_offset;
  std::uint64_t redelivered = 0;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (by_offset.size() < total && std::chrono::steady_clock::now() < deadline)
    for (auto& r : c.poll_records(total - by_offset.size(), 1s))
      if (!by_offset.emplace(std::pair{r.partition, r.offset}, r).second) ++redelivered;
  if (redelivered > 0) std::cout << "[broker_churn] consumer redelivered " << redelivered << "\n";
  std::map<std::string, int> seen;
  std::uint64_t wrong = 0;
  for (const auto& [where, r] : by_offset) {
    const auto i = std::stoull(r.key.substr(r.key.rfind('-') + 1));
    if (r.key != test_key("ch", i) || r.value != test_value("ch", i) || i >= total) ++wrong;
    ++seen[r.key];
  }
  std::uint64_t missing = 0, duplicated = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    const auto it = seen.find(test_key("ch", i));
    if (it == seen.end())
      ++missing;
    else if (it->second > 1)
      ++duplicated;
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(missing, 0u) << "of " << total;
  EXPECT_EQ(duplicated, 0u) << "of " << total;

  // Still ready, and still rewriting: a fresh Metadata lists the proxy's three ports.
  EXPECT_EQ(http_get(setup.admin_port, "/ready").status, 200);
  std::string error;
  auto brokers = raw_metadata(setup.bootstrap_port, 1, &error);
  ASSERT_TRUE(brokers) << error;
  EXPECT_EQ(describe(*brokers), describe({{1, "127.0.0.1", setup.broker_port(1)},
                                          {2, "127.0.0.1", setup.broker_port(2)},
                                          {3, "127.0.0.1", setup.broker_port(3)}}));
  c.close();

  // The churn reached the proxy's sessions (not only the client's view): some upstream
  // connection was cut or refused, and no session ended on a protocol error.
  const auto metrics = http_get(setup.admin_port, "/metrics").body;
  const auto cut =
      metric_value(metrics, "kafka_psc_proxy_sessions_closed_total{reason=\"upstream_closed\"}");
  const auto refused = metric_value(metrics, "kafka_psc_proxy_upstream_dial_errors_total");
  ASSERT_TRUE(cut && refused) << metrics;
  EXPECT_GE(*cut + *refused, 1.0) << metrics;
  EXPECT_EQ(
      metric_value(metrics, "kafka_psc_proxy_sessions_closed_total{reason=\"protocol_error\"}"),
      0.0)
      << proxy.output();
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
