// librdkafka (C API) through the proxy in front of a 3-broker kfake cluster (Kafka 4.x
// protocol), the proxy knowing only broker 0: metadata listing, idempotent produce, a
// consumer group with commit, and leader moves under load. Every message is checked by
// content; every broker address a client learned must be a proxy address.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/kfake.h"

using namespace std::chrono_literals;
using kpp::test::kfake_cluster;
using kpp::test::kfake_options;
using kpp::test::kfake_proxy;
using kpp::test::proxy_mode;

// get_child(path, default) returns a reference: the default must outlive the loop.
const boost::property_tree::ptree no_children;

namespace {

// Addresses librdkafka reports in its statistics ("nodename":"host:port"): every broker the
// client ever learned, bootstrap and FindCoordinator results included, not only Metadata.
// The statistics also tell which leader the client saw for each partition over time: proof
// that kfake's leader moves reached the client.
struct learned_addresses {
  std::mutex mu;
  std::set<std::string> names;
  std::map<std::string, std::set<int>> leaders;  // "topic/partition" -> leader ids seen
  std::atomic<int> reports{0};
  void add_from_stats(const char* json, std::size_t len) {
    ++reports;
    const std::string s(json, len);
    const std::string tag = "\"nodename\":\"";
    std::lock_guard lock(mu);
    for (auto at = s.find(tag); at != std::string::npos; at = s.find(tag, at + 1)) {
      const auto start = at + tag.size();
      const auto end = s.find('"', start);
      if (end != std::string::npos && end > start) names.insert(s.substr(start, end - start));
    }
    boost::property_tree::ptree tree;
    std::istringstream in(s);
    try {
      boost::property_tree::read_json(in, tree);
    } catch (const std::exception&) {
      return;
    }
    for (const auto& [topic, t] : tree.get_child("topics", no_children))
      for (const auto& [part, p] : t.get_child("partitions", no_children))
        if (part != "-1" && p.get("leader", -1) >= 0)
          leaders[topic + "/" + part].insert(p.get("leader", -1));
  }
  int partitions_that_moved() {
    std::lock_guard lock(mu);
    int moved = 0;
    for (const auto& [tp, ids] : leaders) moved += ids.size() > 1 ? 1 : 0;
    return moved;
  }
  std::set<std::string> snapshot() {
    std::lock_guard lock(mu);
    return names;
  }
};

struct delivery_tally {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::string first_error;
};

// librdkafka has one opaque per client for every callback.
struct client_context {
  learned_addresses* learned = nullptr;
  delivery_tally* tally = nullptr;
};

int on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<client_context*>(opaque)->learned->add_from_stats(json, len);
  return 0;  // librdkafka frees the JSON
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* t = static_cast<client_context*>(opaque)->tally;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++t->ok;
    return;
  }
  ++t->failed;
  std::lock_guard lock(t->mu);
  if (t->first_error.empty()) t->first_error = rd_kafka_err2str(m->err);
}

// The client with its callback context (which must outlive it).
struct rk_ptr {
  std::unique_ptr<client_context> ctx;
  rd_kafka_t* rk = nullptr;
  rk_ptr() = default;
  rk_ptr(const rk_ptr&) = delete;
  rk_ptr(rk_ptr&& o) noexcept : ctx(std::move(o.ctx)), rk(std::exchange(o.rk, nullptr)) {}
  ~rk_ptr() { reset(); }
  void reset() {
    if (rk) rd_kafka_destroy(rk);
    rk = nullptr;
  }
  [[nodiscard]] rd_kafka_t* get() const { return rk; }
  explicit operator bool() const { return rk != nullptr; }
};

rk_ptr make_client(rd_kafka_type_t type,
                   const std::vector<std::pair<std::string, std::string>>& props,
                   learned_addresses* learned, delivery_tally* tally = nullptr) {
  char err[512];
  rk_ptr out;
  out.ctx = std::make_unique<client_context>(client_context{learned, tally});
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << k << "=" << v << ": " << err;
      rd_kafka_conf_destroy(conf);
      return out;
    }
  }
  rd_kafka_conf_set(conf, "statistics.interval.ms", "200", nullptr, 0);
  rd_kafka_conf_set(conf, "log_level", "3", nullptr, 0);  // errors only: shuffles are noisy
  rd_kafka_conf_set_stats_cb(conf, on_stats);
  rd_kafka_conf_set_opaque(conf, out.ctx.get());
  if (tally) {
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  }
  out.rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!out.rk) ADD_FAILURE() << "rd_kafka_new: " << err;
  return out;
}

// Every broker of a Metadata answer is a proxy address, never a kfake one; returns them.
std::vector<std::string> check_metadata(rd_kafka_t* rk, const kfake_proxy& proxy,
                                        const kfake_cluster& cluster, const std::string& topic,
                                        int expect_partitions) {
  std::vector<std::string> seen;
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk, 1, nullptr, &md, 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "rd_kafka_metadata: " << rd_kafka_err2str(err);
    return seen;
  }
  EXPECT_EQ(md->broker_cnt, 3);
  for (int i = 0; i < md->broker_cnt; ++i) {
    const auto& b = md->brokers[i];
    seen.push_back(std::string(b.host) + ":" + std::to_string(b.port) + "/" + std::to_string(b.id));
    EXPECT_STREQ(b.host, "127.0.0.1");
    EXPECT_TRUE(proxy.is_proxy_port(b.port)) << "broker " << b.id << " port " << b.port;
    EXPECT_FALSE(cluster.is_broker_port(b.port)) << "real broker address leaked: " << b.port;
  }
  bool found = false;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic) {
      found = true;
      EXPECT_EQ(md->topics[i].partition_cnt, expect_partitions);
    }
  }
  EXPECT_TRUE(found) << "topic " << topic << " not listed";
  rd_kafka_metadata_destroy(md);
  return seen;
}

// Polls `rk` until two more statistics reports arrived (bounded), so the check sees the
// client's latest view even when the scenario ran faster than the statistics interval.
void await_stats(learned_addresses& learned, rd_kafka_t* rk) {
  const int want = learned.reports.load() + 2;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (learned.reports.load() < want && std::chrono::steady_clock::now() < deadline)
    rd_kafka_poll(rk, 50);
}

void check_learned(learned_addresses& learned, const kfake_proxy& proxy,
                   const kfake_cluster& cluster) {
  const auto names = learned.snapshot();
  EXPECT_FALSE(names.empty()) << "no statistics received";
  for (const auto& n : names) {
    const auto colon = n.rfind(':');
    ASSERT_NE(colon, std::string::npos) << n;
    const int port = std::atoi(n.c_str() + colon + 1);
    EXPECT_EQ(n.substr(0, colon), "127.0.0.1") << n;
    EXPECT_TRUE(proxy.is_proxy_port(port)) << "client learned " << n;
    EXPECT_FALSE(cluster.is_broker_port(port)) << "client learned a real broker: " << n;
  }
}

std::string value_of(const std::string& prefix, int i) {
  return prefix + "-" + std::to_string(i);
}

// Consumes until `expect` distinct values arrived (or the deadline); counts duplicates.
struct consumed {
  std::map<std::string, int> values;  // value -> times seen
  int messages = 0;
  std::string first_error;
};

void poll_into(rd_kafka_t* consumer, consumed& out, std::size_t expect,
               std::chrono::steady_clock::time_point deadline) {
  while (out.values.size() < expect && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++out.messages;
      ++out.values[std::string(static_cast<const char*>(m->payload), m->len)];
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && out.first_error.empty()) {
      out.first_error = rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
}

rk_ptr make_consumer(const kfake_proxy& proxy, const std::string& group, const std::string& topic,
                     learned_addresses& learned) {
  auto c = make_client(RD_KAFKA_CONSUMER,
                       {{"bootstrap.servers", proxy.bootstrap()},
                        {"group.id", group},
                        {"auto.offset.reset", "earliest"},
                        {"enable.auto.commit", "false"},
                        {"session.timeout.ms", "6000"},
                        {"topic.metadata.refresh.interval.ms", "1000"}},
                       &learned);
  if (!c) return c;
  rd_kafka_poll_set_consumer(c.get());
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(c.get(), subs), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(subs);
  return c;
}

// Commits synchronously, then reads the group's committed offsets back (OffsetFetch):
// their sum must be the number of messages (each partition starts at offset 0).
long commit_and_read_back(rd_kafka_t* consumer, const std::string& topic, int partitions) {
  EXPECT_EQ(rd_kafka_commit(consumer, nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(parts, topic.c_str(), p);
  long sum = 0;
  EXPECT_EQ(rd_kafka_committed(consumer, parts, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  for (int i = 0; i < parts->cnt; ++i) {
    EXPECT_EQ(parts->elems[i].err, RD_KAFKA_RESP_ERR_NO_ERROR);
    if (parts->elems[i].offset > 0) sum += parts->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return sum;
}

void produce(rd_kafka_t* producer, const std::string& topic, const std::string& prefix, int from,
             int to) {
  for (int i = from; i < to; ++i) {
    const auto v = value_of(prefix, i);
    const auto k = "k" + std::to_string(i);
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(k.data(), k.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 10);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
}

void expect_exactly_once(const consumed& got, const std::string& prefix, int n) {
  EXPECT_TRUE(got.first_error.empty()) << got.first_error;
  EXPECT_EQ(got.values.size(), static_cast<std::size_t>(n));
  int missing = 0, dup = 0;
  for (int i = 0; i < n; ++i) {
    auto it = got.values.find(value_of(prefix, i));
    if (it == got.values.end()) {
      ++missing;
    } else if (it->second != 1) {
      ++dup;
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(dup, 0) << "duplicates despite the idempotent producer";
  EXPECT_EQ(got.messages, n);
}

class KfakeLibrdkafka : public ::testing::TestWithParam<proxy_mode> {
 protected:
  void SetUp() override { KPP_REQUIRE_KFAKE(); }
};

TEST_P(KfakeLibrdkafka, MetadataIdempotentProduceGroupConsumeCommit) {
  const std::string topic = std::string("e2e-") + to_string(GetParam());
  kfake_options opts;
  opts.topics = topic;
  kfake_cluster cluster(opts);
  ASSERT_TRUE(cluster.ok()) << cluster.output();
  auto proxy = kpp::test::start_proxy(cluster, GetParam());
  ASSERT_TRUE(proxy.process.running()) << proxy.process.output();

  constexpr int n = 300;
  learned_addresses learned;
  delivery_tally tally;
  auto producer = make_client(RD_KAFKA_PRODUCER,
                              {{"bootstrap.servers", proxy.bootstrap()},
                               {"enable.idempotence", "true"},
                               {"linger.ms", "5"}},
                              &learned, &tally);
  ASSERT_TRUE(producer);
  const auto listed = check_metadata(producer.get(), proxy, cluster, topic, 3);
  for (const auto& b : listed)
    std::printf("[%s] metadata broker %s\n", to_string(GetParam()), b.c_str());

  produce(producer.get(), topic, "m", 0, n);
  EXPECT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(tally.ok.load(), n) << tally.first_error;
  EXPECT_EQ(tally.failed.load(), 0) << tally.first_error;

  auto consumer = make_consumer(proxy, "g-" + topic, topic, learned);
  ASSERT_TRUE(consumer);
  consumed got;
  poll_into(consumer.get(), got, n, std::chrono::steady_clock::now() + 40s);
  expect_exactly_once(got, "m", n);
  EXPECT_EQ(commit_and_read_back(consumer.get(), topic, 3), n);
  check_metadata(consumer.get(), proxy, cluster, topic, 3);
  await_stats(learned, producer.get());
  check_learned(learned, proxy, cluster);
  for (const auto& a : learned.snapshot())
    std::printf("[%s] client learned %s\n", to_string(GetParam()), a.c_str());

  rd_kafka_consumer_close(consumer.get());
  consumer.reset();
  producer.reset();
  EXPECT_EQ(proxy.process.stop(), 0) << proxy.process.output();
  cluster.stop();
  const auto counts = cluster.request_counts();
  std::printf("[%s] %s", to_string(GetParam()), cluster.request_summary().c_str());
  // The APIs this scenario needs really flowed through the proxy to kfake.
  for (int key : {0 /*Produce*/, 1 /*Fetch*/, 3 /*Metadata*/, 8 /*OffsetCommit*/, 9 /*OffsetFetch*/,
                  10 /*FindCoordinator*/, 11 /*JoinGroup*/, 14 /*SyncGroup*/, 18 /*ApiVersions*/,
                  22 /*InitProducerId*/}) {
    bool any = false;
    for (const auto& [kv, c] : counts) any = any || (kv.first == key && c > 0);
    EXPECT_TRUE(any) << "api key " << key << " never reached kfake";
  }
}

// kfake re-elects every partition's leader every 200ms while the producer and the consumer
// run: clients chase leaders through NOT_LEADER_OR_FOLLOWER and Metadata refreshes, and no
// answer may hand them a real broker address.
TEST_P(KfakeLibrdkafka, LeaderMovesUnderLoad) {
  const std::string topic = std::string("shuffle-") + to_string(GetParam());
  kfake_options opts;
  opts.topics = topic;
  opts.shuffle = "200ms";  // re-elect every leader at random, all run long
  kfake_cluster cluster(opts);
  ASSERT_TRUE(cluster.ok()) << cluster.output();
  auto proxy = kpp::test::start_proxy(cluster, GetParam());
  ASSERT_TRUE(proxy.process.running()) << proxy.process.output();

  constexpr int n = 900;
  learned_addresses learned;
  delivery_tally tally;
  auto producer = make_client(RD_KAFKA_PRODUCER,
                              {{"bootstrap.servers", proxy.bootstrap()},
                               {"enable.idempotence", "true"},
                               {"linger.ms", "2"},
                               {"topic.metadata.refresh.interval.ms", "1000"}},
                              &learned, &tally);
  ASSERT_TRUE(producer);
  auto consumer = make_consumer(proxy, "g-" + topic, topic, learned);
  ASSERT_TRUE(consumer);

  consumed got;
  std::thread reader(
      [&] { poll_into(consumer.get(), got, n, std::chrono::steady_clock::now() + 60s); });
  // Paced by the clock over ~4.5s, i.e. across about 20 leader elections.
  const auto start = std::chrono::steady_clock::now();
  for (int batch = 0; batch < 45; ++batch) {
    produce(producer.get(), topic, "s", batch * (n / 45), (batch + 1) * (n / 45));
    while (std::chrono::steady_clock::now() < start + (batch + 1) * 100ms)
      rd_kafka_poll(producer.get(), 20);
  }
  EXPECT_EQ(rd_kafka_flush(producer.get(), 40000), RD_KAFKA_RESP_ERR_NO_ERROR);
  reader.join();
  EXPECT_EQ(tally.ok.load(), n) << tally.first_error;
  EXPECT_EQ(tally.failed.load(), 0) << tally.first_error;
  expect_exactly_once(got, "s", n);
  EXPECT_EQ(commit_and_read_back(consumer.get(), topic, 3), n);
  check_metadata(producer.get(), proxy, cluster, topic, 3);
  await_stats(learned, producer.get());
  check_learned(learned, proxy, cluster);
  // The scenario is only worth something if the clients chased moving leaders.
  EXPECT_GT(learned.partitions_that_moved(), 0) << "no leader move reached the clients";
  std::printf("[%s shuffle] partitions whose leader moved under the clients: %d of 3\n",
              to_string(GetParam()), learned.partitions_that_moved());

  rd_kafka_consumer_close(consumer.get());
  consumer.reset();
  producer.reset();
  EXPECT_EQ(proxy.process.stop(), 0) << proxy.process.output();
  cluster.stop();
  std::printf("[%s shuffle] %s", to_string(GetParam()), cluster.request_summary().c_str());
}

INSTANTIATE_TEST_SUITE_P(Modes, KfakeLibrdkafka,
                         ::testing::Values(proxy_mode::yaml_node_id, proxy_mode::grepplabs_flags),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

}  // namespace
