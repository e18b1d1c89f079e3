#include "kpp/app/demo.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kpp/app/logging.h"
#include "kpp/app/proxy_app.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::app {
namespace {

bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A run of `count` free loopback ports, for the bootstrap listener and the node-id range.
std::uint16_t free_port_run(int count) {
  std::mt19937 rng(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::uniform_int_distribution<int> pick(20000, 60000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<std::uint16_t>(pick(rng));
    bool all = true;
    for (int i = 0; i < count && all; ++i) all = port_free(static_cast<std::uint16_t>(base + i));
    if (all) return base;
  }
  return 0;
}

struct kafka_handle {
  rd_kafka_t* rk = nullptr;
  ~kafka_handle() {
    if (rk) rd_kafka_destroy(rk);
  }
};

rd_kafka_t* make_client(rd_kafka_type_t type,
                        const std::vector<std::pair<std::string, std::string>>& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "demo: %s=%s: %s\n", k.c_str(), v.c_str(), err);
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) std::fprintf(stderr, "demo: cannot create a client: %s\n", err);
  return rk;
}

}  // namespace

int run_demo(std::uint64_t messages) {
  config::log_config log;
  if (const char* level = std::getenv("KPP_DEMO_LOG_LEVEL"))
    if (auto parsed = config::parse_log_level(level)) log.level = *parsed;
  setup_logging(log);
  const std::string topic = "demo";

  // 1. The "remote" cluster: librdkafka's mock, 3 brokers (node ids 1-3) on loopback.
  kafka_handle mock_owner{make_client(RD_KAFKA_PRODUCER, {{"log_level", "3"}})};
  if (!mock_owner.rk) return 1;
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(mock_owner.rk, 3);
  if (!mock) {
    std::fprintf(stderr, "demo: cannot start the mock cluster\n");
    return 1;
  }
  rd_kafka_mock_topic_create(mock, topic.c_str(), 6, 3);
  const std::string all_brokers = rd_kafka_mock_cluster_bootstraps(mock);
  const std::string first_broker = all_brokers.substr(0, all_brokers.find(','));

  // 2. The proxy, told about ONE broker; it must discover the other two by itself.
  const std::uint16_t base = free_port_run(6);
  if (base == 0) {
    std::fprintf(stderr, "demo: no free loopback ports\n");
    return 1;
  }
  const std::uint16_t bootstrap_port = base;
  const std::uint16_t broker_base = static_cast<std::uint16_t>(base + 1);  // + node id (1-3)
  const std::string yaml =
      "listen: 127.0.0.1\n"
      "bootstrap:\n"
      "  servers: [" +
      first_broker +
      "]\n"
      "  listeners:\n"
      "    - listen: 127.0.0.1:" +
      std::to_string(bootstrap_port) +
      "\n"
      "brokers:\n"
      "  port_policy: node-id\n"
      "  base_port: " +
      std::to_string(broker_base) +
      "\n"
      "  node_id_offset: 0\n"
      "  port_range: 5\n"
      "  advertised_host: localhost\n"
      "discovery:\n"
      "  metadata_refresh: 5s\n"
      "admin:\n"
      "  enabled: false\n";
  auto cfg = config::load_yaml_string(yaml, "demo");
  if (!cfg) {
    std::fprintf(stderr, "demo: %s\n", cfg.error().message.c_str());
    return 1;
  }
  std::printf("== kafka-psc-proxy demo ==\n");
  std::printf("mock cluster brokers (real addresses): %s\n", all_brokers.c_str());
  std::printf("proxy told about one bootstrap broker: %s\n", first_broker.c_str());
  std::printf("proxy bootstrap listener: 127.0.0.1:%u; broker ports: %u + node id\n",
              bootstrap_port, broker_base);
  std::fflush(stdout);

  proxy_app proxy(*cfg, "");
  std::thread proxy_thread([&] { proxy.run(); });
  auto stop_proxy = [&] {
    proxy.stop();
    proxy_thread.join();
  };
  const auto ready_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!proxy.ready() && std::chrono::steady_clock::now() < ready_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a flag, bounded
  if (!proxy.ready()) {
    std::fprintf(stderr, "demo: the proxy did not become ready within 30 s\n");
    stop_proxy();
    return 1;
  }
  std::printf("\nport map (node id -> local port -> advertised):\n");
  const auto ports = proxy.port_map();
  for (const auto& [node, advertised] : proxy.advertised_map())
    std::printf("  broker %d -> 127.0.0.1:%u -> %s\n", node, ports.count(node) ? ports.at(node) : 0,
                advertised.c_str());

  const std::string bootstrap = "127.0.0.1:" + std::to_string(bootstrap_port);
  int failures = 0;

  // 3. A real producer through the proxy (idempotent, batching).
  kafka_handle producer{make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                                        {"enable.idempotence", "true"},
                                                        {"linger.ms", "5"},
                                                        {"log_level", "3"}})};
  if (!producer.rk) {
    stop_proxy();
    return 1;
  }
  const rd_kafka_metadata_t* md = nullptr;
  std::set<std::string> seen;
  if (rd_kafka_metadata(producer.rk, 0, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::printf("\nbrokers the client saw in Metadata:\n");
    for (int i = 0; i < md->broker_cnt; ++i) {
      const std::string addr =
          std::string(md->brokers[i].host) + ":" + std::to_string(md->brokers[i].port);
      seen.insert(addr);
      const bool real =
          all_brokers.find(":" + std::to_string(md->brokers[i].port)) != std::string::npos;
      std::printf("  node %d at %s%s\n", md->brokers[i].id, addr.c_str(),
                  real ? "  <-- REAL BROKER ADDRESS LEAKED" : "");
      if (real) ++failures;
    }
    rd_kafka_metadata_destroy(md);
  } else {
    std::fprintf(stderr, "demo: metadata through the proxy failed\n");
    ++failures;
  }
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < messages; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::string value = "demo message " + std::to_string(i);
    for (;;) {
      const auto err = rd_kafka_producev(
          producer.rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer.rk, 10);
        continue;
      }
      if (err) {
        std::fprintf(stderr, "demo: produce failed: %s\n", rd_kafka_err2str(err));
        ++failures;
      }
      break;
    }
    rd_kafka_poll(producer.rk, 0);
  }
  if (rd_kafka_flush(producer.rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "demo: %d message(s) not delivered\n", rd_kafka_outq_len(producer.rk));
    ++failures;
  }
  const double produce_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("\nproduced %llu messages through the proxy in %.2f s\n",
              static_cast<unsigned long long>(messages), produce_s);

  // 4. A consumer group through the proxy (FindCoordinator, JoinGroup, Fetch, OffsetCommit).
  kafka_handle consumer{make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                        {"group.id", "demo-group"},
                                                        {"auto.offset.reset", "earliest"},
                                                        {"enable.auto.commit", "false"},
                                                        {"log_level", "3"}})};
  std::vector<bool> got(messages, false);
  std::uint64_t verified = 0;
  std::uint64_t bad = 0;
  if (consumer.rk) {
    rd_kafka_poll_set_consumer(consumer.rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer.rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (verified < messages && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.rk, 200);
      if (!m) continue;
      if (!m->err) {
        const std::string value(static_cast<const char*>(m->payload), m->len);
        const std::string key(static_cast<const char*>(m->key), m->key_len);
        const auto space = value.rfind(' ');
        std::uint64_t index = messages;
        try {
          index = std::stoull(value.substr(space + 1));
        } catch (...) {
        }
        if (index < messages && !got[index] && key == "key-" + std::to_string(index) &&
            value == "demo message " + std::to_string(index)) {
          got[index] = true;
          ++verified;
        } else {
          ++bad;
        }
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_commit(consumer.rk, nullptr, 0);
    rd_kafka_consumer_close(consumer.rk);
  }
  std::printf("consumed and verified %llu/%llu messages (content and key checked), %llu bad\n",
              static_cast<unsigned long long>(verified), static_cast<unsigned long long>(messages),
              static_cast<unsigned long long>(bad));
  if (verified != messages || bad != 0) ++failures;

  // Clients go first, so nothing reconnects while the proxy drains.
  for (auto* h : {&consumer, &producer}) {
    if (h->rk) rd_kafka_destroy(h->rk);
    h->rk = nullptr;
  }
  stop_proxy();
  rd_kafka_mock_cluster_destroy(mock);
  std::printf("\n%s\n", failures == 0 ? "demo OK: every message went through the proxy intact, "
                                        "and the client saw only proxy addresses"
                                      : "demo FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace kpp::app
