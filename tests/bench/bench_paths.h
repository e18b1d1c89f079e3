// The ways a client reaches the mock cluster: directly, through HAProxy (TCP mode, one
// frontend per broker), through kafka-psc-proxy (child process, node-id ports) and through an
// optional extra proxy started with grepplabs `server` flags.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_sys.h"

namespace kpp::bench {

// HAProxy sits in front of ports the mock advertises, so a client that follows Metadata
// would bypass it. A librdkafka connect_cb rewrites every connect() to mock port X into a
// connect() to HAProxy's frontend for X; `redirected` counts them as proof.
struct redirect_map {
  std::map<std::uint16_t, std::uint16_t> port;  // mock port -> HAProxy frontend port
  std::atomic<long> redirected{0};
};

struct path {
  std::string name;                  // column title
  std::string bootstrap;             // bootstrap.servers for librdkafka clients
  std::uint16_t raw_port = 0;        // broker 1 as this path exposes it (raw sockets)
  redirect_map* redirect = nullptr;  // HAProxy only
  std::unique_ptr<child> process;    // the proxy, none for direct
  std::string stats_socket;          // HAProxy stats socket
  // librdkafka settings every client of this path adds (e.g. security.protocol=ssl).
  std::vector<std::pair<std::string, std::string>> client_settings;
  [[nodiscard]] pid_t pid() const { return process ? process->pid() : 0; }
  [[nodiscard]] bool is_proxy() const { return process != nullptr; }
};

// The mock cluster (3 brokers) in this process, owned by a quiet producer handle.
class mock {
 public:
  mock();
  ~mock();
  mock(const mock&) = delete;
  mock& operator=(const mock&) = delete;
  [[nodiscard]] rd_kafka_mock_cluster_t* get() const { return cluster_; }
  [[nodiscard]] std::string bootstraps() const;
  [[nodiscard]] std::vector<std::uint16_t> ports() const;  // node ids 1..3

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

struct proxy_options {
  int threads = 1;
  std::string ours_binary;
  std::vector<std::string> extra_command;  // e.g. {"/usr/bin/kafka-proxy", "server"}
  std::string haproxy_binary = "/usr/sbin/haproxy";
};

path direct_path(const mock& m);
// nullopt with a printed reason when HAProxy is missing or does not start.
// `tuned`: tune.bufsize 65536 + option splice-auto (path "hap-tuned"), the strongest L4
// configuration; otherwise HAProxy's defaults (path "haproxy", 16 KiB buffers).
std::optional<path> start_haproxy(const mock& m, const proxy_options& o, redirect_map& redirect,
                                  bool tuned = false);
std::optional<path> start_ours(const mock& m, const proxy_options& o);
std::optional<path> start_extra(const mock& m, const proxy_options& o);

// HAProxy frontend bytes (in + out) read from its stats socket; -1 if unavailable.
double haproxy_frontend_bytes(const path& p);

// A client configuration for `p`: bootstrap, the HAProxy redirect, quiet logs, `settings`.
// `opaque` is the rd_kafka opaque for callbacks; it must start with a client_ctx.
struct client_ctx {
  redirect_map* redirect = nullptr;
};
rd_kafka_conf_t* client_conf(const path& p, client_ctx* opaque,
                             const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace kpp::bench
