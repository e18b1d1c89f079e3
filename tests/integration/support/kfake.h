// kfake-broker (franz-go's kfake: a Kafka 4.x-protocol cluster in one process, test-only,
// outside the project) as a child process: free ports, topics, leader shuffling, a broker
// that joins later, and the per-request log it writes, parsed into (key, version) counts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/optional_tools.h"
#include "support/proxy_process.h"

namespace kpp::test {

struct kfake_options {
  int brokers = 3;                 // node ids 0..brokers-1 on free loopback ports
  std::string topics = "kpp-e2e";  // comma separated, created at start
  int partitions = 3;
  std::string shuffle;              // e.g. "200ms": re-elect leaders at random
  std::uint16_t add_node_port = 0;  // a broker (node id `brokers`) joining later
  std::string add_node_after = "2s";
  std::vector<std::string> sasl;  // "MECH:USER:PASS" each: kfake requires SASL logins
  std::vector<std::string> extra_args;  // passed as is, e.g. {"-tls-cert", "c.pem"}
};

// One kfake-broker child. The constructor starts it and waits for "ready" (bounded);
// check ok() before use. The destructor stops it (SIGTERM, then SIGKILL) and reaps it.
class kfake_cluster {
 public:
  // $KPP_KFAKE, else KPP_KFAKE_DEFAULT; empty when neither is an executable file.
  static std::string binary();

  explicit kfake_cluster(kfake_options opts = {});
  ~kfake_cluster();
  kfake_cluster(const kfake_cluster&) = delete;
  kfake_cluster& operator=(const kfake_cluster&) = delete;

  [[nodiscard]] bool ok() const { return ready_; }
  [[nodiscard]] const std::vector<std::uint16_t>& ports() const { return ports_; }
  [[nodiscard]] std::uint16_t port(int node_id) const { return ports_.at(node_id); }
  [[nodiscard]] std::string address(int node_id) const;
  // Every port a kfake broker listens on (or will), the joining one included.
  [[nodiscard]] bool is_broker_port(int port) const;
  // SIGTERM and reap; after this, output() holds the table kfake prints on exit.
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  [[nodiscard]] std::string output() const;
  [[nodiscard]] const std::string& req_log_path() const { return req_log_; }

  // (api key, version) -> requests served, from the -req-log file.
  using version_counts = std::map<std::pair<int, int>, long>;
  [[nodiscard]] version_counts request_counts() const;
  // A table "key(Name) vN xcount" per line, for the test output.
  [[nodiscard]] std::string request_summary() const;

 private:
  kfake_options opts_;
  std::vector<std::uint16_t> ports_;
  pid_t pid_ = -1;
  bool ready_ = false;
  bool reaped_ = false;
  int status_ = -1;
  std::string out_path_;
  std::string req_log_;
};

// Parses -req-log lines "node=N key=K(Name) v=V"; names go to `names` when given.
kfake_cluster::version_counts parse_req_log(const std::string& text,
                                            std::map<int, std::string>* names = nullptr);

// How the proxy in front of kfake is configured. Both know ONE bootstrap broker (node 0)
// and must learn the others from Metadata.
enum class proxy_mode {
  yaml_node_id,     // YAML: port_policy node-id, broker N on base_port + N
  grepplabs_flags,  // `server --bootstrap-server-mapping ... --deterministic-listeners ...`
};
const char* to_string(proxy_mode m);

// The proxy child in front of a kfake cluster, with the ports it was given.
struct kfake_proxy {
  proxy_process process;
  proxy_mode mode;
  std::uint16_t bootstrap_port = 0;  // what clients are given (flags: node 0's mapping)
  std::uint16_t base_port = 0;       // broker N listens on base_port + N (node 0: see above)
  int port_range = 0;
  std::uint16_t admin_port = 0;

  // A port clients may be told: the bootstrap port or one in the broker range.
  [[nodiscard]] bool is_proxy_port(int port) const {
    return port == bootstrap_port || (port >= base_port && port < base_port + port_range);
  }
  [[nodiscard]] std::string bootstrap() const {
    return "127.0.0.1:" + std::to_string(bootstrap_port);
  }
};

// Starts the proxy for `cluster` in `mode` and waits for /ready; check process.running().
// `metadata_refresh` is the proxy's own discovery period: long by default, so brokers a
// client hears of first are bound on the rewrite path, not by discovery.
kfake_proxy start_proxy(const kfake_cluster& cluster, proxy_mode mode, int port_range = 8,
                        const std::string& metadata_refresh = "60s");

}  // namespace kpp::test

// Skips (fails under CI) a test that needs kfake-broker when it is absent.
#define KPP_REQUIRE_KFAKE()                                          \
  KPP_REQUIRE_TOOL(                                                  \
      !::kpp::test::kfake_cluster::binary().empty(), "kfake-broker", \
      "set KPP_KFAKE=/path/to/kfake-broker or put it at ../shared/tools/kfake-broker")
