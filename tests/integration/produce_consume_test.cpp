// Real librdkafka producers and a consumer group through the proxy: every message produced is
// consumed exactly once and compared by content; committed offsets survive a consumer change;
// acks=0 (which the mock answers, unlike Kafka) and acks=all both work.
#include <gtest/gtest.h>

#include <map>

#include "support/kafka_clients.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

// The mock makes a joining member wait for every known member up to its session timeout, and
// a member that left recently still counts: a short timeout keeps the second join quick.
const kafka_props short_session{{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}};

// Checks `got` holds every message prefix 0..count-1 exactly once, by key and value.
void expect_exactly_once(const std::vector<record>& got, const std::string& prefix,
                         std::uint64_t count) {
  std::map<std::string, int> seen;
  std::uint64_t wrong = 0;
  for (const auto& r : got) {
    const auto dash = r.key.rfind('-');
    std::uint64_t i = count;
    if (r.key.rfind(prefix + "-key-", 0) == 0) i = std::stoull(r.key.substr(dash + 1));
    if (i >= count || r.value != test_value(prefix, i)) {
      if (++wrong <= 5) ADD_FAILURE() << "unexpected record key=" << r.key << " value=" << r.value;
      continue;
    }
    ++seen[r.key];
  }
  std::uint64_t missing = 0, duplicated = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto it = seen.find(test_key(prefix, i));
    if (it == seen.end())
      ++missing;
    else if (it->second > 1)
      ++duplicated;
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(missing, 0u) << "of " << count << " (got " << got.size() << " records)";
  EXPECT_EQ(duplicated, 0u);
}

void produce_range(producer& p, const std::string& topic, const std::string& prefix,
                   std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t i = from; i < to; ++i) {
    ASSERT_TRUE(p.produce(topic, test_key(prefix, i), test_value(prefix, i))) << p.last_error();
    if (i % 256 == 0) p.poll();
  }
  ASSERT_TRUE(p.flush(60s)) << "undelivered after 60 s: " << p.last_error();
}

class ProduceConsume : public ::testing::Test {
 protected:
  void SetUp() override {
    setup_ = node_id_proxy::for_cluster(mock_.broker_addresses().at(0), 3);
    proxy_.emplace(proxy_process::with_yaml(setup_.yaml()));
    ASSERT_TRUE(proxy_->wait_ready(setup_.admin_port)) << proxy_->output();
  }
  void TearDown() override {
    // No session may have ended on a protocol error (a confused FIFO would).
    const auto metrics = http_get(setup_.admin_port, "/metrics").body;
    EXPECT_EQ(metric_value(metrics, protocol_errors_series("correlation_mismatch")), 0.0);
    EXPECT_EQ(
        metric_value(metrics, "kafka_psc_proxy_sessions_closed_total{reason=\"protocol_error\"}"),
        0.0)
        << proxy_->output();
    EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
  }

  mock_cluster mock_{3};
  node_id_proxy setup_;
  std::optional<proxy_process> proxy_;
};

TEST_F(ProduceConsume, IdempotentProducerAndCommittingGroupMoveEveryMessageExactlyOnce) {
  constexpr std::uint64_t count = 20000;
  mock_.create_topic("pc", 6);
  {
    producer p(setup_.bootstrap(), {{"enable.idempotence", "true"}, {"linger.ms", "5"}});
    produce_range(p, "pc", "pc", 0, count);
    EXPECT_EQ(p.delivered(), count);
    EXPECT_EQ(p.failed(), 0u) << p.last_error();
  }
  {
    consumer c(setup_.bootstrap(), "pc-group", short_session);
    ASSERT_TRUE(c.subscribe({"pc"}));
    const auto got = c.poll_records(count, 90s);
    expect_exactly_once(got, "pc", count);
    EXPECT_EQ(got.size(), count);
    ASSERT_EQ(c.commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
    c.close();
  }
  // More messages after the commit: a second member of the group must start exactly at the
  // committed offsets, so it reads these and none of the first batch (which come first in
  // every partition, so a re-read would show up before the new ones).
  constexpr std::uint64_t more = 300;
  {
    producer p(setup_.bootstrap(), {{"enable.idempotence", "true"}});
    produce_range(p, "pc", "pc2", 0, more);
  }
  consumer c2(setup_.bootstrap(), "pc-group", short_session);
  ASSERT_TRUE(c2.subscribe({"pc"}));
  const auto resumed = c2.poll_records(more, 60s);
  expect_exactly_once(resumed, "pc2", more);
  std::uint64_t old = 0;
  for (const auto& r : resumed)
    if (r.key.rfind("pc-key-", 0) == 0) ++old;
  EXPECT_EQ(old, 0u) << "the second consumer re-read messages committed by the first";
}

TEST_F(ProduceConsume, AcksZeroProducerKeepsResponsesMatched) {
  // The mock answers acks=0 Produce requests; Kafka does not. Metadata requests interleaved
  // on the same broker connections check that the optional responses never shift the FIFO.
  constexpr std::uint64_t count = 3000;
  mock_.create_topic("acks0", 3);
  {
    producer p(setup_.bootstrap(), {{"acks", "0"}, {"enable.idempotence", "false"}});
    for (std::uint64_t i = 0; i < count; ++i) {
      ASSERT_TRUE(p.produce("acks0", test_key("a0", i), test_value("a0", i))) << p.last_error();
      if (i % 500 == 499) {
        EXPECT_EQ(client_metadata(p.get()).size(), 3u);
      }
    }
    ASSERT_TRUE(p.flush(60s));
    EXPECT_EQ(client_metadata(p.get()).size(), 3u);
    EXPECT_EQ(p.failed(), 0u) << p.last_error();
  }
  consumer c(setup_.bootstrap(), "acks0-group");
  ASSERT_TRUE(c.subscribe({"acks0"}));
  expect_exactly_once(c.poll_records(count, 60s), "a0", count);
}

TEST_F(ProduceConsume, AcksAllProducerDeliversEveryMessage) {
  constexpr std::uint64_t count = 3000;
  mock_.create_topic("acksall", 3);
  {
    producer p(setup_.bootstrap(), {{"acks", "all"}});
    produce_range(p, "acksall", "aa", 0, count);
    EXPECT_EQ(p.delivered(), count);
    EXPECT_EQ(p.failed(), 0u) << p.last_error();
  }
  consumer c(setup_.bootstrap(), "acksall-group");
  ASSERT_TRUE(c.subscribe({"acksall"}));
  expect_exactly_once(c.poll_records(count, 60s), "aa", count);
}

}  // namespace
