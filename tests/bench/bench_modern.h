// The modern-protocol section of kafka-psc-proxy-bench: kgo-bench (franz-go, flexible Produce
// v9+ / Fetch v12+) against kfake-broker (a Kafka 4.x-protocol cluster), both test-only tools
// from ../shared/tools. Four paths, alternated: direct; HAProxy with its defaults; HAProxy
// tuned (tune.bufsize 65536 + option splice-auto, the strongest L4 configuration); and
// kafka-psc-proxy. Each phase moves >= 1 GB of incompressible 1 KiB records in uncompressed
// batches (kgo-bench's default), because /proc CPU ticks are 10 ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_paths.h"
#include "bench_report.h"

namespace kpp::bench {

struct modern_options {
  std::string kfake;  // kfake-broker binary
  std::string kgo;    // kgo-bench binary
  int reps = 3;
  std::uint64_t bytes_per_phase = 1'000'000'000;
  std::size_t record = 1024;
  proxy_options proxies;
  std::string tls_ca;  // kgo-bench -tls-ca (the TLS section); empty: plaintext
};

// A path plus what kgo-bench needs to take it: HAProxy sits in front of the ports kfake
// advertises, so kgo-bench's -remap sends its connects to the frontends instead.
struct modern_path {
  path p;
  std::string remap;
};

// One kgo-bench phase (produce or consume `records` into/from `topic`) over `mp`, with the
// CPU of the proxy, kfake (`kfake` pid) and kgo-bench.
run_result kgo_phase(const modern_path& mp, const modern_options& o, pid_t kfake,
                     const std::string& topic, bool produce, std::uint64_t records);
// Every path in `started`: a produce phase then a consume phase of `o.bytes_per_phase`, `o.reps`
// times, the order rotated each repetition (a path does not always run first); topics are
// `topic_prefix` + path name + repetition. Prints a line per run.
struct kgo_series {
  series produce, consume;
};
kgo_series run_kgo_rotated(const std::vector<modern_path>& started, const modern_options& o,
                           pid_t kfake, const std::string& topic_prefix);
// Prints a kgo-bench phase's table: MB/s and the proxy's, client's and broker's CPU per GB.
void print_kgo_table(const std::string& title, const series& s,
                     const std::vector<const path*>& paths);
// Prints the paired per-repetition ratios a/b of `m` and returns their median.
std::optional<double> ratio_to(const series& s, const std::vector<const path*>& paths,
                               const std::string& a, const std::string& b, const metric& m);

// Medians of the per-repetition ratios ours / tuned HAProxy (nullopt: not measured).
struct modern_findings {
  std::optional<double> produce_cpu, consume_cpu, produce_tput, consume_tput;
};

// Prints the tables; returns the ratios for the summary. Prints why and returns nothing
// measured when a tool is missing.
modern_findings run_modern(const modern_options& o);

}  // namespace kpp::bench
