// The HA proof (run as a service, point 6): two replicas with the same node-id policy behind
// HAProxy in TCP mode. Replica A binds 127.0.0.2, replica B 127.0.0.3, on the SAME ports; both
// advertise 127.0.0.1 with those ports, where HAProxy listens. An idempotent producer
// (acks=all) and a consumer group move 100,000 messages through HAProxy while replica A is
// SIGKILLed and restarted: every message is consumed, none is lost, none is in the log twice.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/haproxy.h"
#include "support/kafka_clients.h"
#include "support/mock_cluster.h"
#include "support/optional_tools.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/raw_client.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int messages = 100'000;
constexpr int brokers = 3;  // mock node ids 1..3
const std::string topic = "ha-replicas";

template <class F>
bool poll_until(F done, clock_type::time_point deadline) {
  for (;;) {
    if (done()) return true;
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

struct layout {
  std::uint16_t bootstrap_port = 0;  // the same on both replicas and on HAProxy
  std::uint16_t base_port = 0;       // broker N on base_port + N
  std::string upstream;

  [[nodiscard]] std::vector<std::uint16_t> ports() const {
    std::vector<std::uint16_t> out{bootstrap_port};
    for (int id = 1; id <= brokers; ++id) out.push_back(static_cast<std::uint16_t>(base_port + id));
    return out;
  }
};

// One replica's YAML: only the bind address (and its admin port, as both share one
// machine) differ between replicas. The node-id policy gives both the same port map.
std::string replica_yaml(const layout& l, const std::string& bind_ip, std::uint16_t admin_port) {
  std::string servers;
  for (std::size_t start = 0;;) {
    const auto comma = l.upstream.find(',', start);
    servers += (servers.empty() ? "" : ", ") + l.upstream.substr(start, comma - start);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return "listen: " + bind_ip + "\n" +
         "threads: 2\n"
         "bootstrap:\n"
         "  servers: [" +
         servers + "]\n" +
         "  listeners:\n"
         "    - listen: " +
         bind_ip + ":" + std::to_string(l.bootstrap_port) + "\n" +
         "      advertised: 127.0.0.1:" + std::to_string(l.bootstrap_port) + "\n" +
         "brokers:\n"
         "  port_policy: node-id\n"
         "  base_port: " +
         std::to_string(l.base_port) + "\n" +
         "  node_id_offset: 0\n"
         "  port_range: " +
         std::to_string(brokers + 1) + "\n" + "  listen_host: " + bind_ip + "\n" +
         "  advertised_host: 127.0.0.1\n"
         "discovery:\n"
         "  metadata_refresh: 1s\n"
         "timeouts:\n"
         "  drain: 5s\n"
         "admin:\n"
         "  address: 127.0.0.1:" +
         std::to_string(admin_port) + "\n" +
         "log:\n"
         "  level: info\n";
}

// One TCP frontend per proxy port, each balancing across both replicas, health-checked on
// each replica's /ready (admin ports differ, hence `port` and `addr` on the server line).
std::string haproxy_config(const layout& l, std::uint16_t admin_a, std::uint16_t admin_b) {
  std::string cfg =
      "global\n"
      "  maxconn 2000\n"
      "defaults\n"
      "  mode tcp\n"
      "  timeout connect 1s\n"
      "  timeout client 5m\n"
      "  timeout server 5m\n"
      "  timeout check 1s\n"
      "  retries 3\n"
      "  option redispatch 1\n"  // a refused connect goes to the other replica at once
      "  default-server inter 200ms fastinter 100ms downinter 200ms rise 2 fall 2 "
      "on-marked-down shutdown-sessions\n";
  for (const auto port : l.ports()) {
    const auto p = std::to_string(port);
    cfg += "frontend fe_" + p + "\n  bind 127.0.0.1:" + p + "\n  default_backend be_" + p + "\n";
    cfg += "backend be_" + p + "\n  balance roundrobin\n  option httpchk GET /ready\n";
    cfg += "  server a 127.0.0.2:" + p + " check addr 127.0.0.1 port " + std::to_string(admin_a) +
           "\n";
    cfg += "  server b 127.0.0.3:" + p + " check addr 127.0.0.1 port " + std::to_string(admin_b) +
           "\n";
  }
  return cfg;
}

// An idempotent producer whose delivery reports carry the message index, so the test can
// tell "a report arrived after the kill" from "a message produced after the kill arrived".
//
// It also sets transactional.id: librdkafka's mock checks producer id and sequence numbers
// only for transactional producers (rd_kafka_mock_validate_records() returns early without
// a TransactionalId), so a plain idempotent producer's retried batch is appended twice by
// the mock where a real broker drops it. With a transactional id the mock deduplicates the
// retries the way a real broker does for every idempotent producer.
class indexed_producer {
 public:
  explicit indexed_producer(const std::string& bootstrap) : acked_before_kill(messages) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::pair<const char*, const char*> props[] = {
        {"bootstrap.servers", bootstrap.c_str()},
        {"enable.idempotence", "true"},
        {"transactional.id", transactional_id.c_str()},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"log_level", "3"},
        // Reconnect promptly: the test measures the proxy's failover, not client backoff.
        {"reconnect.backoff.max.ms", "1000"}};
    for (const auto& [k, v] : props)
      if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        throw std::runtime_error(std::string(k) + ": " + err);
    rd_kafka_conf_set_dr_msg_cb(conf, &indexed_producer::on_delivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) throw std::runtime_error(err);
    if (auto* e = rd_kafka_init_transactions(rk_, 30000)) throw_error("init_transactions", e);
  }

  // One transaction around messages [from, to), paced to `pace` per message. False (and
  // `first_error` set) on an error the transaction API does not let us retry.
  bool produce_transaction(int from, int to, clock_type::time_point start,
                           std::chrono::microseconds pace, clock_type::time_point deadline) {
    if (auto* e = rd_kafka_begin_transaction(rk_)) return fail("begin_transaction", e);
    for (int i = from; i < to; ++i) {
      std::this_thread::sleep_until(start + pace * i);  // pacing, not waiting for a condition
      if (!produce(i, deadline)) return false;
      produced = i + 1;
      if (i % 100 == 0) rd_kafka_poll(rk_, 0);
    }
    for (;;) {  // commit flushes the messages; a retriable error (coordinator moved) retries
      auto* e = rd_kafka_commit_transaction(rk_, 30000);
      if (!e) return true;
      if (!rd_kafka_error_is_retriable(e) || clock_type::now() >= deadline)
        return fail("commit_transaction", e);
      rd_kafka_error_destroy(e);
    }
  }
  ~indexed_producer() {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_, 0);
    rd_kafka_destroy(rk_);
  }

  bool produce(int index, clock_type::time_point deadline) {
    const auto key = test_key("ha", index);
    const auto value = test_value("ha", index);
    for (;;) {
      const auto err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(index))),
          RD_KAFKA_V_END);
      if (!err) return true;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || clock_type::now() >= deadline) {
        set_first_error(std::string("produce: ") + rd_kafka_err2str(err));
        return false;
      }
      rd_kafka_poll(rk_, 10);
    }
  }
  void poll(int ms) { rd_kafka_poll(rk_, ms); }
  [[nodiscard]] int out_queue() const { return rd_kafka_outq_len(rk_); }

  const std::string transactional_id = "kpp-ha-" + std::to_string(::getpid());
  std::atomic<int> produced{0};
  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  std::string first_error;  // written once, before `failed` or a false return is seen
  // Per message: acknowledged before the kill (a duplicate of such a message cannot be a
  // retry of a batch the kill interrupted).
  std::vector<std::atomic<bool>> acked_before_kill;
  // Set by the test at the kill: index of the first message produced after it.
  std::atomic<int> kill_index{-1};
  std::atomic<clock_type::rep> kill_time{0};
  std::atomic<clock_type::rep> first_report_after_kill{0};
  std::atomic<clock_type::rep> first_new_report_after_kill{0};

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<indexed_producer*>(opaque);
    if (m->err) {
      self->set_first_error(std::string("delivery: ") + rd_kafka_err2str(m->err));
      self->failed.fetch_add(1);
      return;
    }
    self->delivered.fetch_add(1);
    const auto index = static_cast<int>(reinterpret_cast<std::intptr_t>(m->_private));
    const auto kill_index = self->kill_index.load();
    if (kill_index < 0) {
      self->acked_before_kill[index] = true;
      return;
    }
    const auto now = clock_type::now().time_since_epoch().count();
    if (self->first_report_after_kill.load() == 0) self->first_report_after_kill = now;
    if (index >= kill_index && self->first_new_report_after_kill.load() == 0)
      self->first_new_report_after_kill = now;
  }
  void set_first_error(const std::string& text) {
    std::lock_guard lock(error_mu_);
    if (first_error.empty()) first_error = text;
  }
  bool fail(const char* what, rd_kafka_error_t* e) {
    set_first_error(std::string(what) + ": " + rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return false;
  }
  [[noreturn]] static void throw_error(const char* what, rd_kafka_error_t* e) {
    std::string text = std::string(what) + ": " + rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    throw std::runtime_error(text);
  }
  std::mutex error_mu_;
  rd_kafka_t* rk_ = nullptr;
};

// Client connections a replica holds: the sum over its listeners, from /metrics.
long open_connections(std::uint16_t admin_port) {
  const std::string name = "kafka_psc_proxy_listener_connections_open";
  std::istringstream in(http_get(admin_port, "/metrics").body);
  long total = 0;
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, name.size(), name) == 0 && line.size() > name.size() &&
        (line[name.size()] == '{' || line[name.size()] == ' '))
      total += std::atol(line.c_str() + line.rfind(' ') + 1);
  return total;
}

long long ms_between(clock_type::rep from, clock_type::rep to) {
  if (from == 0 || to == 0) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::duration(to - from))
      .count();
}

int index_of_key(const std::string& key) {
  const std::string prefix = test_key("ha", 0).substr(0, test_key("ha", 0).size() - 1);
  if (key.compare(0, prefix.size(), prefix) != 0) return -1;
  return std::atoi(key.c_str() + prefix.size());
}

TEST(HaReplicas, KillAndRestartOneReplicaBehindHaproxyLosesAndDuplicatesNothing) {
  const auto haproxy = haproxy_binary();
  KPP_REQUIRE_TOOL(!haproxy.empty(), "haproxy", "apt-get install haproxy");
  const auto deadline = clock_type::now() + 120s;

  mock_cluster mock(brokers);
  mock.create_topic(topic, 6, 3);
  layout l;
  l.bootstrap_port = free_port_run(brokers + 2);
  l.base_port = static_cast<std::uint16_t>(l.bootstrap_port + 1);  // node 0 unused
  l.upstream = mock.bootstraps();
  const auto admin_a = free_port();
  const auto admin_b = free_port();
  const auto yaml_a = replica_yaml(l, "127.0.0.2", admin_a);

  std::optional<proxy_process> replica_a(proxy_process::with_yaml(yaml_a));
  proxy_process replica_b = proxy_process::with_yaml(replica_yaml(l, "127.0.0.3", admin_b));
  ASSERT_TRUE(replica_a->wait_ready(admin_a)) << replica_a->output();
  ASSERT_TRUE(replica_b.wait_ready(admin_b)) << replica_b.output();

  haproxy_process lb(haproxy, haproxy_config(l, admin_a, admin_b));
  ASSERT_TRUE(poll_until(
      [&] {
        for (const auto port : l.ports())
          if (!raw_client(port).connected()) return false;
        return true;
      },
      clock_type::now() + 10s))
      << "haproxy frontends not listening\n"
      << lb.output();
  ASSERT_TRUE(lb.running()) << lb.output();
  const std::string bootstrap = "127.0.0.1:" + std::to_string(l.bootstrap_port);

  // Consumer: records every (partition, offset) per message index, and when the first
  // message produced after the kill arrived.
  std::vector<std::set<std::pair<std::int32_t, std::int64_t>>> seen(messages);
  std::atomic<int> unique_consumed{0};
  std::atomic<long> records_total{0};
  std::atomic<int> bad_records{0};
  std::atomic<bool> stop{false};
  indexed_producer prod(bootstrap);
  std::atomic<clock_type::rep> first_new_consumed_after_kill{0};
  std::vector<std::string> consumer_errors;
  consumer cons(bootstrap, "ha-group",
                {{"enable.auto.commit", "true"},
                 {"auto.commit.interval.ms", "500"},
                 {"reconnect.backoff.max.ms", "1000"}});
  ASSERT_TRUE(cons.subscribe({topic}));
  std::thread consumer_thread([&] {
    while (!stop && unique_consumed < messages && clock_type::now() < deadline) {
      const auto batch = cons.poll_records(5000, 100ms);
      const auto now = clock_type::now().time_since_epoch().count();
      for (const auto& r : batch) {
        ++records_total;
        const int index = index_of_key(r.key);
        if (index < 0 || index >= messages || r.value != test_value("ha", index)) {
          ++bad_records;
          continue;
        }
        if (seen[index].empty()) ++unique_consumed;
        seen[index].insert({r.partition, r.offset});
        const int kill_index = prod.kill_index;
        if (kill_index >= 0 && index >= kill_index && first_new_consumed_after_kill == 0)
          first_new_consumed_after_kill = now;
      }
    }
    consumer_errors = cons.errors();
  });

  // Producer: paced to about 10,000 messages/s so the kill lands mid-run, in transactions
  // of 1,000 messages.
  std::atomic<bool> produce_failed{false};
  std::thread producer_thread([&] {
    const auto start = clock_type::now();
    for (int from = 0; from < messages && !stop; from += 1000) {
      if (!prod.produce_transaction(from, std::min(from + 1000, messages), start, 100us,
                                    deadline)) {
        produce_failed = true;
        break;
      }
    }
    while (prod.out_queue() > 0 && clock_type::now() < deadline && !stop) prod.poll(100);
  });
  auto join_all = [&] {
    stop = true;
    if (producer_thread.joinable()) producer_thread.join();
    if (consumer_thread.joinable()) consumer_thread.join();
  };

  // Kill replica A once a third of the messages are acknowledged.
  const bool mid_run = poll_until([&] { return prod.delivered >= messages * 3 / 10; }, deadline);
  if (!mid_run) join_all();
  ASSERT_TRUE(mid_run) << "no progress before the kill: delivered " << prod.delivered << ", failed "
                       << prod.failed << " (" << prod.first_error << ")\n"
                       << lb.output() << replica_a->output();
  // The kill must cut live client connections, or it proves nothing.
  const long connections_on_a = open_connections(admin_a);
  prod.kill_time = clock_type::now().time_since_epoch().count();
  prod.kill_index = prod.produced.load();
  const int delivered_at_kill = prod.delivered;
  replica_a->signal(SIGKILL);
  const auto killed = replica_a->wait_exit(10s);
  if (!killed) join_all();
  ASSERT_TRUE(killed);

  // Restart it once traffic flows again without it.
  poll_until([&] { return prod.first_new_report_after_kill != 0; }, deadline);
  const auto restart_at = clock_type::now();
  replica_a.emplace(proxy_process::with_yaml(yaml_a));
  const bool restarted = replica_a->wait_ready(admin_a);
  const long long restart_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - restart_at).count();

  poll_until([&] { return unique_consumed >= messages && prod.out_queue() == 0; }, deadline);
  join_all();

  int lost = 0;
  int duplicated = 0;
  int duplicated_acked_before_kill = 0;  // not explained by a retried in-flight batch
  int first_lost = -1;
  for (int i = 0; i < messages; ++i) {
    if (seen[i].empty() && ++lost == 1) first_lost = i;
    if (seen[i].size() > 1) {  // the same message at two log positions
      ++duplicated;
      if (prod.acked_before_kill[i]) ++duplicated_acked_before_kill;
    }
  }
  const auto kill_t = prod.kill_time.load();
  std::printf(
      "HA replicas behind HAProxy: %d messages, produced %d, delivered %d (failed %d), "
      "consumed %d unique (%ld records incl. redeliveries); lost %d, duplicated in the log %d "
      "(of them acknowledged before the kill: %d)\n"
      "  replica A SIGKILLed after %d delivered (message index %d); restarted and ready in %lld "
      "ms\n"
      "  kill -> first delivery report:                         %lld ms\n"
      "  kill -> first delivery of a message produced after it: %lld ms\n"
      "  kill -> first consumed message produced after it:      %lld ms\n",
      messages, prod.produced.load(), prod.delivered.load(), prod.failed.load(),
      unique_consumed.load(), records_total.load(), lost, duplicated, duplicated_acked_before_kill,
      delivered_at_kill, prod.kill_index.load(), restart_ms,
      ms_between(kill_t, prod.first_report_after_kill),
      ms_between(kill_t, prod.first_new_report_after_kill),
      ms_between(kill_t, first_new_consumed_after_kill));
  std::fflush(stdout);

  std::printf("  client connections through replica A when it was killed: %ld\n", connections_on_a);
  std::fflush(stdout);
  EXPECT_GT(connections_on_a, 0) << "no client traffic went through replica A";
  EXPECT_TRUE(restarted) << replica_a->output();
  EXPECT_FALSE(produce_failed) << prod.first_error;
  EXPECT_EQ(prod.produced, messages) << prod.first_error;
  EXPECT_EQ(prod.delivered, messages) << "first delivery error: " << prod.first_error;
  EXPECT_EQ(prod.failed, 0) << prod.first_error;
  EXPECT_EQ(bad_records, 0);
  EXPECT_EQ(lost, 0) << "first lost index " << first_lost;
  EXPECT_EQ(duplicated, 0) << duplicated_acked_before_kill
                           << " of them were acknowledged before the kill (not a retry)";
  EXPECT_NE(prod.first_new_report_after_kill.load(), 0) << "producer never resumed";
  EXPECT_NE(first_new_consumed_after_kill.load(), 0) << "consumer never resumed";
  EXPECT_TRUE(lb.running()) << lb.output();
  EXPECT_TRUE(replica_b.running()) << "the surviving replica died\n" << replica_b.output();
  if (HasFailure()) {
    for (const auto& e : consumer_errors) std::printf("consumer error: %s\n", e.c_str());
    std::printf("--- haproxy ---\n%s\n--- replica B ---\n%s\n--- replica A (restarted) ---\n%s\n",
                lb.output().c_str(), replica_b.output().c_str(), replica_a->output().c_str());
  }
  cons.close();  // leave the group while the path to the coordinator still exists
}

}  // namespace
}  // namespace kpp::test
