// The node -> port map must survive restarts (sequential policy + brokers.state_file), the
// persisted ports must be bound before /ready (even before discovery succeeds), and a broker
// that cannot get its port (outside port_range, or taken) must keep /ready red with a reason
// that names the broker and the setting, and be counted.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

std::string temp_path(const std::string& suffix) {
  static int counter = 0;
  return "/tmp/kpp-h9-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// "node port" lines of a state file (comments and blank lines skipped).
std::map<int, int> parse_state(const std::string& text) {
  std::map<int, int> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    int node = 0;
    int port = 0;
    if (f >> node >> port) out[node] = port;
  }
  return out;
}

std::map<int, int> as_map(const std::vector<broker_address>& brokers) {
  std::map<int, int> out;
  for (const auto& b : brokers) out[b.id] = b.port;
  return out;
}

std::string show(const std::map<int, int>& m) {
  std::string s;
  for (const auto& [node, port] : m) s += std::to_string(node) + "=" + std::to_string(port) + " ";
  return s;
}

bool can_connect(int port) {
  raw_client c(static_cast<std::uint16_t>(port));
  return c.connected();
}

bool wait_health(std::uint16_t admin_port) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_get(admin_port, "/health").status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// A sequential-policy proxy whose ports and state file survive restarts.
struct sequential_proxy {
  std::uint16_t bootstrap_port = 0;
  std::uint16_t base_port = 0;
  std::uint16_t admin_port = 0;
  int port_range = 8;
  std::string state_file = temp_path(".ports");

  sequential_proxy() {
    const auto run = free_port_run(1 + port_range);
    bootstrap_port = run;
    base_port = static_cast<std::uint16_t>(run + 1);
    admin_port = free_port();
  }
  ~sequential_proxy() {
    std::remove(state_file.c_str());
    std::remove((state_file + ".tmp").c_str());
  }
  [[nodiscard]] std::string yaml(const std::string& bootstrap_server) const {
    return "listen: 127.0.0.1\n"
           "threads: 2\n"
           "bootstrap:\n"
           "  servers: [" +
           bootstrap_server +
           "]\n"
           "  listeners:\n"
           "    - listen: 127.0.0.1:" +
           std::to_string(bootstrap_port) +
           "\n"
           "brokers:\n"
           "  port_policy: sequential\n"
           "  base_port: " +
           std::to_string(base_port) +
           "\n"
           "  port_range: " +
           std::to_string(port_range) +
           "\n"
           "  listen_host: 127.0.0.1\n"
           "  advertised_host: 127.0.0.1\n"
           "  state_file: " +
           state_file +
           "\n"
           "discovery:\n"
           "  metadata_refresh: 1s\n"
           "admin:\n"
           "  address: 127.0.0.1:" +
           std::to_string(admin_port) + "\n";
  }
  // Starts against `bootstrap_server`, waits for /ready, returns the map clients are told.
  std::map<int, int> run_once(const std::string& bootstrap_server, std::string* output) const {
    auto proxy = proxy_process::with_yaml(yaml(bootstrap_server));
    std::map<int, int> map;
    if (proxy.wait_ready(admin_port)) {
      std::string error;
      if (auto brokers = raw_metadata(bootstrap_port, 1, &error))
        map = as_map(*brokers);
      else
        ADD_FAILURE() << error;
    } else {
      ADD_FAILURE() << "not ready";
    }
    EXPECT_EQ(proxy.stop(), 0);
    if (output) *output = proxy.output();
    return map;
  }
};

TEST(PortMapPersistence, SequentialMapSurvivesRestartsWhateverTheBootstrapBroker) {
  mock_cluster mock(3);
  const auto brokers = mock.broker_addresses();
  sequential_proxy p;

  std::string out;
  const auto first = p.run_once(brokers.at(2), &out);  // broker 3 as the only bootstrap
  ASSERT_EQ(first.size(), 3u) << out;
  std::set<int> ports;
  for (const auto& [node, port] : first) {
    EXPECT_GE(port, p.base_port);
    EXPECT_LT(port, p.base_port + p.port_range);
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), 3u) << "two brokers share a port: " << show(first);
  const auto state = read_text(p.state_file);
  std::cout << "state file after run 1:\n" << state;
  EXPECT_EQ(parse_state(state), first) << state;

  for (int restart = 1; restart <= 2; ++restart) {
    const auto again = p.run_once(brokers.at(0), &out);  // now broker 1
    EXPECT_EQ(again, first) << "restart " << restart << ": " << show(again) << " vs " << show(first)
                            << "\n"
                            << out;
    EXPECT_EQ(parse_state(read_text(p.state_file)), first);
  }
}

// A map that is not discovery order (as if an earlier run had met the brokers in another
// order) must be kept as written, not re-sorted.
TEST(PortMapPersistence, HandWrittenStateFileIsHonoured) {
  mock_cluster mock(3);
  sequential_proxy p;
  const std::map<int, int> want{{1, p.base_port + 2}, {2, p.base_port + 0}, {3, p.base_port + 1}};
  std::ofstream(p.state_file) << "# written by the test\n"
                              << "1 " << want.at(1) << "\n2 " << want.at(2) << "\n3 " << want.at(3)
                              << "\n";
  std::string out;
  EXPECT_EQ(p.run_once(mock.broker_addresses().at(0), &out), want) << out;
}

// The persisted ports are bound at start, before discovery: here discovery cannot succeed at
// all (the bootstrap server is a closed port), yet each broker port accepts connections as
// soon as the admin endpoint is up, and /ready says why it is red.
TEST(PortMapPersistence, StateFilePortsAreBoundBeforeDiscovery) {
  mock_cluster mock(3);
  sequential_proxy p;
  std::string out;
  const auto map = p.run_once(mock.broker_addresses().at(0), &out);
  ASSERT_EQ(map.size(), 3u) << out;

  const auto dead = free_port();  // nothing listens here
  auto proxy = proxy_process::with_yaml(p.yaml("127.0.0.1:" + std::to_string(dead)));
  ASSERT_TRUE(proxy.wait_for_output("bootstrap listener on")) << proxy.output();
  ASSERT_TRUE(wait_health(p.admin_port)) << proxy.output();
  for (const auto& [node, port] : map)
    EXPECT_TRUE(can_connect(port))
        << "broker " << node << " port " << port << " not bound before discovery\n"
        << proxy.output();
  const auto ready = http_get(p.admin_port, "/ready");
  EXPECT_NE(ready.status, 200) << "ready without any successful discovery";
  std::cout << "/ready while discovery fails: " << ready.status << " " << ready.body;
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// ---- refusals ----------------------------------------------------------------------------

bool wait_metric_at_least(std::uint16_t admin_port, const std::string& series, double n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (scrape(admin_port, series).value_or(-1) >= n) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(PortMapRefusals, NodeIdOutsidePortRangeKeepsReadyRed) {
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  setup.port_range = 2;  // with node_id_offset 1: brokers 1 and 2 fit, broker 3 does not
  auto yaml = setup.yaml();
  yaml.replace(yaml.find("node_id_offset: 0"), 17, "node_id_offset: 1");
  auto proxy = proxy_process::with_yaml(yaml);
  ASSERT_TRUE(wait_health(setup.admin_port)) << proxy.output();

  // Refused on every discovery round: after two rounds it is still not ready.
  const std::string series = "kafka_psc_proxy_brokers_out_of_port_range_total";
  ASSERT_TRUE(wait_metric_at_least(setup.admin_port, series, 2)) << proxy.output();
  const auto ready = http_get(setup.admin_port, "/ready");
  EXPECT_NE(ready.status, 200);
  std::cout << "/ready: " << ready.status << " " << ready.body;
  EXPECT_NE(ready.body.find("broker 3"), std::string::npos) << ready.body;
  const auto lines = lines_containing(proxy.output(), "outside the broker port range");
  ASSERT_FALSE(lines.empty()) << proxy.output();
  std::cout << "proxy log: " << lines.front() << "\n";
  EXPECT_NE(lines.front().find("broker 3"), std::string::npos);
  EXPECT_NE(lines.front().find("brokers.port_range"), std::string::npos);
  // The brokers that fit are served.
  EXPECT_TRUE(can_connect(setup.base_port + 0));  // broker 1
  EXPECT_TRUE(can_connect(setup.base_port + 1));  // broker 2
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// The brief's "static node on another broker's node-id port" never reaches run time: the
// configuration check refuses it and names the keys.
TEST(PortMapRefusals, StaticPortInsideNodeIdRangeIsRefusedByConfigCheck) {
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  setup.extra_yaml = "";
  auto yaml = setup.yaml();
  // Broker 7 pinned to broker 2's node-id port.
  yaml.replace(yaml.find("discovery:"), 0,
               "  static:\n    - node_id: 7\n      listen_port: " +
                   std::to_string(setup.broker_port(2)) + "\n");
  const auto path = temp_path(".yaml");
  std::ofstream(path) << yaml;
  proxy_process check({"check-config", path});
  const auto status = check.wait_exit(20s);
  std::remove(path.c_str());
  ASSERT_TRUE(status);
  EXPECT_NE(*status, 0) << check.output();
  std::cout << "check-config: " << check.output();
  EXPECT_NE(check.output().find("brokers.base_port"), std::string::npos) << check.output();
}

// At run time a collision is a broker whose port is already taken: by another broker (two
// entries of a state file) or by another process.
// Two nodes recorded on one port: the second entry is dropped (named in the log and
// counted), and that broker gets a fresh port when discovery sees it, so the proxy serves.
TEST(PortMapRefusals, StateFileCollisionDropsTheEntryAndIsCounted) {
  mock_cluster mock(3);
  sequential_proxy p;
  std::ofstream(p.state_file) << "1 " << p.base_port << "\n2 " << p.base_port << "\n3 "
                              << p.base_port + 1 << "\n";
  auto proxy = proxy_process::with_yaml(p.yaml(mock.broker_addresses().at(0)));
  ASSERT_TRUE(wait_health(p.admin_port)) << proxy.output();
  ASSERT_TRUE(wait_metric_at_least(p.admin_port, "kafka_psc_proxy_port_collisions_total", 1))
      << proxy.output();
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();
  const auto log = proxy.output();
  EXPECT_NE(log.find("brokers.state_file: broker 2 port " + std::to_string(p.base_port)),
            std::string::npos)
      << log;
  for (const auto& l : lines_containing(log, "broker 2")) std::cout << "proxy log: " << l << "\n";
  // Broker 2 no longer shares broker 1's port.
  EXPECT_EQ(
      lines_containing(log, "broker 2: listening on 127.0.0.1:" + std::to_string(p.base_port) + ",")
          .size(),
      0u)
      << log;
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

TEST(PortMapRefusals, NodeIdPortTakenByAnotherProcessIsCountedAsCollision) {
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  // Hold broker 2's port (no SO_REUSEADDR, listening: the proxy's bind must fail).
  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(setup.broker_port(2));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(squatter, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(squatter, 1), 0);

  auto proxy = proxy_process::with_yaml(setup.yaml());
  ASSERT_TRUE(wait_health(setup.admin_port)) << proxy.output();
  EXPECT_TRUE(wait_metric_at_least(setup.admin_port, "kafka_psc_proxy_port_collisions_total", 1))
      << proxy.output();
  const auto ready = http_get(setup.admin_port, "/ready");
  EXPECT_NE(ready.status, 200);
  std::cout << "/ready: " << ready.status << " " << ready.body;
  EXPECT_NE(ready.body.find("broker 2"), std::string::npos) << ready.body;
  const auto lines = lines_containing(proxy.output(), "cannot listen for broker 2");
  ASSERT_FALSE(lines.empty()) << proxy.output();
  std::cout << "proxy log: " << lines.front() << "\n";
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
  ::close(squatter);
}

}  // namespace
