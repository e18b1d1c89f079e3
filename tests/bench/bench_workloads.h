// The measurements of kafka-psc-proxy-bench, each over one path: producer and consumer
// throughput, produce latency at a fixed rate, idle-connection memory, one huge Fetch.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_paths.h"

namespace kpp::bench {

// CPU seconds spent during a run: by the proxy process, by the mock cluster thread of this
// process ("broker"), by the rest of this process ("client").
struct cpu_sample {
  double proxy = 0;
  double client = 0;
  double broker = 0;
  double wall = 0;
  std::uint64_t proxy_faults = 0;  // minor page faults of the proxy process
};

struct run_result {
  bool ok = false;
  std::string error;
  double seconds = 0;
  std::uint64_t msgs = 0;
  std::uint64_t bytes = 0;  // payload bytes
  cpu_sample cpu;
  double p50_us = 0, p99_us = 0, p999_us = 0;  // latency runs
  [[nodiscard]] double msgs_per_s() const { return seconds > 0 ? msgs / seconds : 0; }
  [[nodiscard]] double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
  [[nodiscard]] double proxy_cpu_per_gb() const { return bytes ? cpu.proxy / (bytes / 1e9) : 0; }
  [[nodiscard]] double proxy_faults_per_gb() const {
    return bytes ? static_cast<double>(cpu.proxy_faults) / (bytes / 1e9) : 0;
  }
};

struct produce_spec {
  std::string topic;
  std::size_t size = 100;
  std::string acks = "1";
  double seconds = 2;       // run this long, unless `bytes` is set
  std::uint64_t bytes = 0;  // run until this many payload bytes are delivered
};
run_result run_produce(const path& p, const produce_spec& s);

struct consume_spec {
  std::string topic;
  int partitions = 0;
  std::uint64_t msgs_per_pass = 0;  // the whole (static) topic
  double seconds = 2;               // passes from the beginning repeat until this long,
  std::uint64_t bytes = 0;          // or until this many payload bytes are read, if set
};
run_result run_consume(const path& p, const consume_spec& s);

struct latency_spec {
  std::string topic;
  std::size_t size = 100;
  int rate = 1000;  // messages per second
  double seconds = 2;
};
run_result run_latency(const path& p, const latency_spec& s);

// Fills `topic` through `p` (direct) with `size`-byte records, about `bytes_per_partition`
// in each partition, and returns how many records the topic now holds (the mock keeps only
// the last ~5 MB of each partition).
std::uint64_t prefill(const path& p, const std::string& topic, int partitions, std::size_t size,
                      std::uint64_t bytes_per_partition,
                      const std::vector<std::pair<std::string, std::string>>& extra = {});

struct idle_step {
  int target = 0;
  int opened = 0;  // connections that completed an ApiVersions round trip
  double bytes_per_conn = 0;
  std::uint64_t rss_before = 0, rss_after = 0;
};
// One client connection of the idle-connection measurement: plain TCP (raw_client) or TLS.
class idle_connection {
 public:
  virtual ~idle_connection() = default;
  [[nodiscard]] virtual bool connected() const = 0;
  virtual bool send(const std::vector<std::uint8_t>& frame) = 0;
  // A whole response frame arrived within `timeout`.
  virtual bool read_frame(std::chrono::milliseconds timeout) = 0;
};
using idle_opener = std::function<std::unique_ptr<idle_connection>(std::uint16_t port)>;

// Opens connections to p.raw_port up to each target in `steps`, each doing one ApiVersions
// round trip (so the proxy's upstream leg exists too), then idle; reports the proxy's RSS
// growth per connection. `open`: plain TCP when empty.
std::vector<idle_step> run_idle_connections(const path& p, const std::vector<int>& steps,
                                            const idle_opener& open = nullptr);

struct fetch_result {
  bool ok = false;
  std::string error;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::uint64_t rss_before = 0;
  std::int64_t hwm_growth = 0;  // proxy peak RSS over rss_before
  bool hwm_reset = false;       // false: the peak could not be reset, growth is an upper bound
};
// Reads `msgs` records of partition 0 of `topic` from the beginning with fetch limits large
// enough that one Fetch response carries the whole ~50 MB message set.
fetch_result run_big_fetch(const path& p, const std::string& topic, std::uint64_t msgs);

}  // namespace kpp::bench
