#include "bench_modern.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "bench_sys.h"
#include "support/ports.h"
#include "support/proxy_process.h"

namespace kpp::bench {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

std::optional<modern_path> start_haproxy_modern(const std::vector<std::uint16_t>& broker_ports,
                                                const proxy_options& o, bool tuned) {
  if (::access(o.haproxy_binary.c_str(), X_OK) != 0) {
    std::printf("  HAProxy: %s not found, skipping the HAProxy paths\n", o.haproxy_binary.c_str());
    return std::nullopt;
  }
  const std::uint16_t base = kpp::test::free_port_run(static_cast<int>(broker_ports.size()));
  modern_path mp;
  mp.p.name = tuned ? "hap-tuned" : "hap-default";
  std::ostringstream cfg;
  cfg << "global\n  maxconn 1000\n  nbthread " << o.threads << "\n";
  if (tuned) cfg << "  tune.bufsize 65536\n";
  cfg << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n"
      << "  timeout server 1h\n";
  if (tuned) cfg << "  option splice-auto\n";
  for (std::size_t i = 0; i < broker_ports.size(); ++i) {
    const auto front = static_cast<std::uint16_t>(base + i);
    cfg << "frontend b" << i << "\n  bind " << loopback(front) << "\n  default_backend b" << i
        << "\nbackend b" << i << "\n  server s" << i << " " << loopback(broker_ports[i]) << "\n";
    mp.remap += (mp.remap.empty() ? "" : ",") + loopback(broker_ports[i]) + "=" + loopback(front);
  }
  const std::string cfg_path = temp_dir() + "/" + mp.p.name + ".cfg";
  write_file(cfg_path, cfg.str());
  mp.p.process =
      std::make_unique<child>(std::vector<std::string>{o.haproxy_binary, "-db", "-f", cfg_path},
                              temp_dir() + "/" + mp.p.name + ".log");
  for (std::size_t i = 0; i < broker_ports.size(); ++i) {
    if (!wait_port(static_cast<std::uint16_t>(base + i), 10s) || !mp.p.process->running()) {
      std::printf("  %s did not start:\n%s\n", mp.p.name.c_str(), mp.p.process->log_tail().c_str());
      return std::nullopt;
    }
  }
  mp.p.bootstrap = loopback(base);
  return mp;
}

// `splice`: false runs the proxy with splice(2) off ("ours-copy"), to measure what it saves.
std::optional<modern_path> start_ours_modern(const std::vector<std::uint16_t>& broker_ports,
                                             const proxy_options& o, bool splice) {
  if (::access(o.ours_binary.c_str(), X_OK) != 0) {
    std::printf("  kafka-psc-proxy: %s not found (use --proxy PATH)\n", o.ours_binary.c_str());
    return std::nullopt;
  }
  // kfake's node ids are 0, 1, 2: broker N on base + N; bootstrap on base + 4.
  const std::uint16_t base = kpp::test::free_port_run(5);
  const auto bootstrap = static_cast<std::uint16_t>(base + 4);
  const std::uint16_t admin = kpp::test::free_port();
  std::string servers;
  for (const auto port : broker_ports) servers += (servers.empty() ? "" : ",") + loopback(port);
  std::ostringstream yaml;
  yaml << "listen: 127.0.0.1\nthreads: " << o.threads << "\n"
       << "bootstrap:\n  servers: \"" << servers << "\"\n"
       << "  listeners:\n    - listen: " << loopback(bootstrap) << "\n"
       << "brokers:\n  port_policy: node-id\n  base_port: " << base << "\n"
       << "  node_id_offset: 0\n  port_range: 4\n  listen_host: 127.0.0.1\n"
       << "  advertised_host: 127.0.0.1\n"
       << "admin:\n  address: " << loopback(admin) << "\n"
       << "log:\n  level: warn\n";
  if (!splice) yaml << "limits:\n  splice_min_body: 0\n";
  modern_path mp;
  mp.p.name = splice ? "ours" : "ours-copy";
  const std::string cfg_path = temp_dir() + "/" + mp.p.name + "-modern.yaml";
  write_file(cfg_path, yaml.str());
  mp.p.process =
      std::make_unique<child>(std::vector<std::string>{o.ours_binary, "--config", cfg_path},
                              temp_dir() + "/" + mp.p.name + "-modern.log");
  const auto deadline = clock::now() + 20s;
  while (kpp::test::http_get(admin, "/ready", 500ms).status != 200) {
    if (!mp.p.process->running() || clock::now() > deadline) {
      std::printf("  kafka-psc-proxy did not start:\n%s\n", mp.p.process->log_tail().c_str());
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);  // polling /ready, bounded
  }
  mp.p.bootstrap = loopback(bootstrap);
  return mp;
}

double children_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

// One kgo-bench phase over `mp`. CPU: the proxy process from /proc; kgo-bench (the only child
// reaped meanwhile) from RUSAGE_CHILDREN; kfake from /proc.
run_result kgo_phase(const modern_path& mp, const modern_options& o, pid_t kfake,
                     const std::string& topic, bool produce, std::uint64_t records) {
  std::vector<std::string> argv{o.kgo,
                                "-b",
                                mp.p.bootstrap,
                                "-t",
                                topic,
                                "-n",
                                std::to_string(records),
                                "-s",
                                std::to_string(o.record),
                                "-mode",
                                produce ? "produce" : "consume",
                                "-timeout",
                                "15m"};
  if (!produce) argv.emplace_back("-delete");  // kfake keeps every topic in memory
  if (!o.tls_ca.empty()) {
    argv.emplace_back("-tls-ca");
    argv.push_back(o.tls_ca);
  }
  if (!mp.remap.empty()) {
    argv.emplace_back("-remap");
    argv.push_back(mp.remap);
  }
  run_result r;
  const double proxy0 = mp.p.pid() ? process_cpu_seconds(mp.p.pid()) : 0;
  const std::uint64_t faults0 = mp.p.pid() ? process_minor_faults(mp.p.pid()) : 0;
  const double broker0 = process_cpu_seconds(kfake);
  const double client0 = children_cpu_seconds();
  const auto t0 = clock::now();
  const std::string log = temp_dir() + "/kgo-" + topic + (produce ? "-p" : "-c") + ".log";
  child kgo(argv, log);
  while (kgo.running()) {
    if (clock::now() - t0 > 16min) {
      kgo.stop();
      r.error = "kgo-bench timed out";
      return r;
    }
    std::this_thread::sleep_for(50ms);  // polling the child, bounded by the deadline above
  }
  r.cpu.wall = std::chrono::duration<double>(clock::now() - t0).count();
  r.cpu.proxy = mp.p.pid() ? process_cpu_seconds(mp.p.pid()) - proxy0 : 0;
  const std::uint64_t faults = mp.p.pid() ? process_minor_faults(mp.p.pid()) : 0;
  r.cpu.proxy_faults = faults > faults0 ? faults - faults0 : 0;  // 0 if the proxy is gone
  r.cpu.broker = process_cpu_seconds(kfake) - broker0;
  r.cpu.client = children_cpu_seconds() - client0;
  // "produce N recs S B in T s = X MB/s failed F" / "consume N recs S B in T s = X MB/s"
  const std::string out = read_file(log);
  const std::regex line(
      produce ? R"(produce (\d+) recs (\d+) B in ([0-9.]+) s = [0-9.]+ MB/s failed (\d+))"
              : R"(consume (\d+) recs (\d+) B in ([0-9.]+) s)");
  std::smatch m;
  if (!std::regex_search(out, m, line)) {
    r.error = "kgo-bench: " + out.substr(out.size() > 300 ? out.size() - 300 : 0);
    return r;
  }
  r.msgs = std::stoull(m[1]);
  r.bytes = r.msgs * std::stoull(m[2]);
  r.seconds = std::stod(m[3]);
  r.ok = r.msgs == records && (!produce || m[4] == "0");
  if (!r.ok) r.error = "kgo-bench lost records: " + m.str();
  return r;
}

std::optional<double> ratio_to(const series& s, const std::vector<const path*>& paths,
                               const std::string& a, const std::string& b, const metric& m) {
  std::size_t ia = paths.size(), ib = paths.size();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i]->name == a) ia = i;
    if (paths[i]->name == b) ib = i;
  }
  if (ia == paths.size() || ib == paths.size()) return std::nullopt;
  const auto r = paired_ratios(s, ia, ib, m);
  if (r.empty()) return std::nullopt;
  std::printf("  %-18s %s -> median %.3f\n", (a + "/" + b).c_str(), join(r, "%.3f").c_str(),
              median(r));
  return median(r);
}

void print_kgo_table(const std::string& title, const series& s,
                     const std::vector<const path*>& paths) {
  print_header(title, paths);
  const metric mb = [](const run_result& r) { return r.mb_per_s(); };
  const metric client_gb = [](const run_result& r) { return r.cpu.client / (r.bytes / 1e9); };
  const metric broker_gb = [](const run_result& r) { return r.cpu.broker / (r.bytes / 1e9); };
  print_row("MB/s (payload)", s, paths.size(), mb, "%.1f");
  print_proxy_rows(s, paths);
  print_row("client CPU s/GB", s, paths.size(), client_gb, "%.2f");
  print_row("broker CPU s/GB", s, paths.size(), broker_gb, "%.2f");
}

namespace {

void print_phase(const std::string& title, const series& s, const std::vector<const path*>& paths,
                 std::optional<double>& cpu_ratio, std::optional<double>& tput_ratio) {
  print_kgo_table(title, s, paths);
  const metric mb = [](const run_result& r) { return r.mb_per_s(); };
  const metric cpu_gb = [](const run_result& r) { return r.proxy_cpu_per_gb(); };
  std::printf(" CPU per GB, paired per repetition:\n");
  cpu_ratio = ratio_to(s, paths, "ours", "hap-tuned", cpu_gb);
  ratio_to(s, paths, "ours", "hap-default", cpu_gb);
  ratio_to(s, paths, "hap-default", "hap-tuned", cpu_gb);
  ratio_to(s, paths, "ours", "ours-copy", cpu_gb);  // what splice(2) saves
  std::printf(" throughput, paired per repetition:\n");
  tput_ratio = ratio_to(s, paths, "ours", "hap-tuned", mb);
  ratio_to(s, paths, "ours", "hap-default", mb);
  ratio_to(s, paths, "hap-default", "hap-tuned", mb);
  ratio_to(s, paths, "ours", "direct", mb);
}

}  // namespace

kgo_series run_kgo_rotated(const std::vector<modern_path>& started, const modern_options& o,
                           pid_t kfake, const std::string& topic_prefix) {
  const std::uint64_t records = (o.bytes_per_phase + o.record - 1) / o.record;
  std::printf("  %llu records of %zu B per phase (%.2f GB), %d repetitions, paths rotated\n",
              static_cast<unsigned long long>(records), o.record,
              static_cast<double>(records * o.record) / 1e9, o.reps);
  kgo_series out;
  out.produce.assign(started.size(), std::vector<run_result>(static_cast<std::size_t>(o.reps)));
  out.consume = out.produce;
  for (int rep = 0; rep < o.reps; ++rep) {
    for (std::size_t k = 0; k < started.size(); ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(rep)) % started.size();
      const auto& mp = started[i];
      const std::string topic = topic_prefix + mp.p.name + "-" + std::to_string(rep);
      auto& pr = out.produce[i][static_cast<std::size_t>(rep)];
      pr = kgo_phase(mp, o, kfake, topic, true, records);
      if (pr.ok)
        out.consume[i][static_cast<std::size_t>(rep)] =
            kgo_phase(mp, o, kfake, topic, false, records);
      const auto& cr = out.consume[i][static_cast<std::size_t>(rep)];
      std::printf("  [rep %d %-11s produce %s, consume %s]\n", rep + 1, mp.p.name.c_str(),
                  pr.ok ? (std::to_string(static_cast<int>(pr.mb_per_s())) + " MB/s").c_str()
                        : pr.error.c_str(),
                  cr.ok ? (std::to_string(static_cast<int>(cr.mb_per_s())) + " MB/s").c_str()
                        : (pr.ok ? cr.error.c_str() : "skipped"));
    }
  }
  return out;
}

modern_findings run_modern(const modern_options& o) {
  modern_findings f;
  std::printf("\n== modern protocol: kgo-bench (flexible Produce/Fetch) against kfake-broker ==\n");
  for (const auto& tool : {o.kfake, o.kgo}) {
    if (::access(tool.c_str(), X_OK) != 0) {
      std::printf("  %s not found (--kfake / --kgo-bench, or KPP_KFAKE): section skipped\n",
                  tool.c_str());
      return f;
    }
  }
  const std::uint16_t first = kpp::test::free_port_run(3);
  const std::vector<std::uint16_t> ports{first, static_cast<std::uint16_t>(first + 1),
                                         static_cast<std::uint16_t>(first + 2)};
  child kfake({o.kfake, "-ports", joined_ports(ports), "-log-level", "none"},
              temp_dir() + "/kfake.log");
  for (const auto port : ports) {
    if (!wait_port(port, 15s) || !kfake.running()) {
      std::printf("  kfake-broker did not start:\n%s\n", kfake.log_tail().c_str());
      return f;
    }
  }
  modern_path direct;
  direct.p.name = "direct";
  direct.p.bootstrap = loopback(ports[0]);
  std::vector<modern_path> started;
  started.push_back(std::move(direct));
  if (auto h = start_haproxy_modern(ports, o.proxies, false)) started.push_back(std::move(*h));
  if (auto h = start_haproxy_modern(ports, o.proxies, true)) started.push_back(std::move(*h));
  if (auto ours = start_ours_modern(ports, o.proxies, true)) started.push_back(std::move(*ours));
  if (auto copy = start_ours_modern(ports, o.proxies, false)) started.push_back(std::move(*copy));
  std::vector<const path*> paths;
  for (const auto& mp : started) paths.push_back(&mp.p);

  const auto [produce, consume] = run_kgo_rotated(started, o, kfake.pid(), "modern-");
  print_phase("modern produce (kgo-bench, acks=leader, 1 KiB, uncompressed)", produce, paths,
              f.produce_cpu, f.produce_tput);
  print_phase("modern consume (kgo-bench, Fetch v12+, fetch.max.bytes 50 MiB)", consume, paths,
              f.consume_cpu, f.consume_tput);
  std::printf("\n  proxy peak RSS (VmHWM) after the modern runs:");
  for (const auto* p : paths)
    if (p->is_proxy())
      std::printf(" %s %.1f MiB", p->name.c_str(), hwm_bytes(p->pid()) / 1048576.0);
  std::printf("\n");
  return f;
}

}  // namespace kpp::bench
