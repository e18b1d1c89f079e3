// The TLS section of kafka-psc-proxy-bench (`--only tls`): HAProxy terminating and
// re-originating TLS against kafka-psc-proxy doing the same, measured alternately in one run.
// Certificates are made at run time with the openssl command line into a temporary directory.
//  - modern: kgo-bench (-tls-ca) against kfake-broker listening with TLS, through
//    hap-tls (bind ... ssl crt, server ... ssl verify required ca-file ... sni), ours-tls
//    (TLS listener + upstream.tls, one port per broker) and ours-sni (routing: sni, one port);
//  - librdkafka: client TLS -> HAProxy or the proxy's TLS listener -> the plaintext mock
//    cluster (librdkafka's mock speaks no TLS): throughput, CPU and added p50 latency;
//  - memory per idle TLS connection (ApiVersions round trip, then idle), both legs TLS for
//    the modern paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench_modern.h"
#include "bench_paths.h"

namespace kpp::bench {

struct tls_options {
  modern_options modern;  // kfake, kgo-bench, reps, bytes per phase, proxies
  int idle_connections = 500;
  bool quick = false;
};

// Medians of the per-repetition ratios (nullopt: not measured).
struct tls_findings {
  std::optional<double> produce_cpu, consume_cpu, produce_tput, consume_tput;  // ours/hap
  std::optional<double> sni_produce_cpu, sni_consume_cpu;  // ours-sni / ours-tls
  std::optional<double> rd_produce_cpu, rd_consume_cpu, rd_produce_tput, rd_consume_tput;
  std::optional<double> ours_add_p50, hap_add_p50;    // librdkafka, us over direct plaintext
  std::optional<double> ours_idle_kib, hap_idle_kib;  // per idle TLS connection
};

// Prints the tables; skips (with the reason printed) what a missing tool prevents.
// `cluster`: the librdkafka mock of the run (plaintext).
tls_findings run_tls(const tls_options& o, const mock& cluster);

}  // namespace kpp::bench
