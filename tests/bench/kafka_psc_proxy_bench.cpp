// kafka-psc-proxy-bench: direct access, HAProxy (TCP mode, the L4 floor; with its defaults and
// tuned: tune.bufsize 65536 + option splice-auto), kafka-psc-proxy and
// optionally another proxy (grepplabs `server` flags), measured alternately in one run
// against librdkafka's mock cluster in this process. Prints medians, per-repetition paired
// ratios, where the CPU goes, and PASS/MISS against the issue's targets.
//
//   build/tests/bench/kafka-psc-proxy-bench [--quick] [--reps N] [--threads N]
//       [--proxy PATH] [--haproxy PATH] [--extra-proxy "/path/to/kafka-proxy server"]
//       [--only produce,consume,latency,fetch,connections,micro,modern,tls]
//       [--kfake PATH] [--kgo-bench PATH] [--modern-gb X] [--tls-gb X] [--tls-idle N]
//       [--rdkafka-gb X]
// A full run took ~14 min on 2 cores (--quick ~2.5 min): the librdkafka sections (1 GB per run)
// ~5 min, the modern section (kgo-bench against kfake-broker over direct, HAProxy default and
// tuned, and ours; bench_modern.h) ~4 min, the TLS section (bench_tls.h: kgo-bench over TLS on
// both legs through HAProxy, ours and ours in routing: sni; librdkafka over a TLS client leg;
// memory per idle TLS connection) ~5 min. A watchdog kills everything past its budget. Proxy CPU
// comes from /proc/<pid>/stat in 10 ms ticks: --quick runs are too short for fine ratios.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "bench_modern.h"
#include "bench_paths.h"
#include "bench_report.h"
#include "bench_sys.h"
#include "bench_tls.h"
#include "bench_workloads.h"

namespace kpp::bench {
namespace {

using namespace std::chrono_literals;

struct options {
  bool quick = false;
  int reps = 0;  // 0: mode default
  // Sections to run: produce consume latency fetch connections micro.
  std::set<std::string> sections{"produce",     "consume", "latency", "fetch",
                                 "connections", "micro",   "modern",  "tls"};
  [[nodiscard]] bool want(const char* s) const { return sections.count(s) != 0; }
  proxy_options proxies;
  std::string micro;
  modern_options modern;
  double modern_gb = 0;    // 0: mode default
  double tls_gb = 0;       // 0: mode default
  double rdkafka_gb = -1;  // < 0: mode default; 0: time-bounded runs
  int tls_idle = 500;
};

std::string exe_dir() {
  return std::filesystem::canonical("/proc/self/exe").parent_path().string();
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

void usage() {
  std::printf(
      "usage: kafka-psc-proxy-bench [--quick] [--reps N] [--threads N] [--only LIST]\n"
      "         [--proxy PATH] [--haproxy PATH] [--extra-proxy \"CMD server\"] [--micro PATH]\n"
      "  --quick           short runs, 2 repetitions, 1,000 idle connections (~2.5 min)\n"
      "  --reps N          repetitions of every measurement (default 4, kgo-bench sections 3;\n"
      "                    quick 2)\n"
      "  --threads N       worker threads of every proxy (HAProxy nbthread, ours threads,\n"
      "                    GOMAXPROCS of the extra proxy); default 1\n"
      "  --proxy PATH      kafka-psc-proxy binary (default: found next to this program)\n"
      "  --extra-proxy CMD another proxy taking grepplabs flags, e.g. \"kafka-proxy server\";\n"
      "                    started with --bootstrap-server-mapping for each mock broker\n"
      "  --only LIST       comma list of sections: produce,consume,latency,fetch,connections,\n"
      "                    micro,modern,tls (default all); --no-connections drops connections\n"
      "  --kfake PATH      kfake-broker (default $KPP_KFAKE or ../shared/tools/kfake-broker)\n"
      "  --kgo-bench PATH  kgo-bench (default next to kfake-broker)\n"
      "  --modern-gb X     GB moved per modern phase (default 1, quick 0.25)\n"
      "  --tls-gb X        GB moved per TLS phase, kgo-bench and librdkafka (default 1, quick "
      "0.25)\n"
      "  --rdkafka-gb X    GB moved per librdkafka produce/consume run (default 1; quick, or 0:\n"
      "                    0.8 s runs)\n"
      "  --tls-idle N      idle TLS connections per path for the memory figure (default 500)\n");
}

std::optional<options> parse(int argc, char** argv) {
  options o;
  const std::string dir = exe_dir();
  for (const auto& cand : {dir + "/../../kafka-psc-proxy", dir + "/kafka-psc-proxy"})
    if (::access(cand.c_str(), X_OK) == 0) {
      o.proxies.ours_binary = std::filesystem::canonical(cand).string();
      break;
    }
  if (o.proxies.ours_binary.empty()) o.proxies.ours_binary = KPP_PROXY_BIN;
  o.micro = dir + "/kpp_micro_bench";
  const char* kfake_env = std::getenv("KPP_KFAKE");
  o.modern.kfake = kfake_env ? kfake_env : KPP_TOOLS_DIR "/kfake-broker";
  o.modern.kgo = std::filesystem::path(o.modern.kfake).parent_path().string() + "/kgo-bench";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick")
      o.quick = true;
    else if (a == "--reps")
      o.reps = std::stoi(value());
    else if (a == "--threads")
      o.proxies.threads = std::stoi(value());
    else if (a == "--proxy")
      o.proxies.ours_binary = value();
    else if (a == "--haproxy")
      o.proxies.haproxy_binary = value();
    else if (a == "--extra-proxy")
      o.proxies.extra_command = split_words(value());
    else if (a == "--micro")
      o.micro = value();
    else if (a == "--kfake")
      o.modern.kfake = value();
    else if (a == "--kgo-bench")
      o.modern.kgo = value();
    else if (a == "--modern-gb")
      o.modern_gb = std::stod(value());
    else if (a == "--tls-gb")
      o.tls_gb = std::stod(value());
    else if (a == "--rdkafka-gb")
      o.rdkafka_gb = std::stod(value());
    else if (a == "--tls-idle")
      o.tls_idle = std::stoi(value());
    else if (a == "--no-connections")
      o.sections.erase("connections");
    else if (a == "--only") {
      o.sections.clear();
      std::istringstream list(value());
      for (std::string item; std::getline(list, item, ',');) o.sections.insert(item);
    } else if (a == "--help" || a == "-h") {
      usage();
      return std::nullopt;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      usage();
      std::exit(2);
    }
  }
  // The kgo-bench sections move a GB per run: 3 repetitions unless asked for more.
  o.modern.reps = o.reps > 0 ? o.reps : o.quick ? 2 : 3;
  if (o.reps <= 0) o.reps = o.quick ? 2 : 4;
  if (o.modern_gb <= 0) o.modern_gb = o.quick ? 0.25 : 1.0;
  o.modern.bytes_per_phase = static_cast<std::uint64_t>(o.modern_gb * 1e9);
  if (o.rdkafka_gb < 0) o.rdkafka_gb = o.quick ? 0 : 1.0;
  if (o.tls_gb <= 0) o.tls_gb = o.quick ? 0.25 : 1.0;
  return o;
}

std::size_t index_of(const std::vector<const path*>& paths, const std::string& name) {
  for (std::size_t i = 0; i < paths.size(); ++i)
    if (paths[i]->name == name) return i;
  return paths.size();
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Everything measured, kept for the summary.
struct findings {
  std::vector<double> produce_cpu_ratio;  // per config: median ours/HAProxy CPU per GB
  std::vector<double> produce_tput_ratio;
  std::optional<double> consume_cpu_ratio, consume_tput_ratio;
  // The same against tuned HAProxy (bufsize 64 KiB + splice-auto).
  std::vector<double> produce_cpu_tuned;
  std::optional<double> consume_cpu_tuned;
  std::optional<double> ours_add_p50, hap_add_p50, ours_add_p99, hap_add_p99;
  std::vector<idle_step> ours_idle, hap_idle;
  std::optional<fetch_result> ours_fetch;
  modern_findings modern;
  tls_findings tls;
  cpu_sample totals[8];
};

void accumulate(findings& f, const series& s) {
  for (std::size_t i = 0; i < s.size() && i < 8; ++i)
    for (const auto& r : s[i]) {
      if (!r.ok) continue;
      f.totals[i].client += r.cpu.client;
      f.totals[i].broker += r.cpu.broker;
      f.totals[i].proxy += r.cpu.proxy;
      f.totals[i].wall += r.cpu.wall;
    }
}

void print_throughput(const std::string& title, const series& s,
                      const std::vector<const path*>& paths, findings& f, bool produce) {
  print_header(title, paths);
  const metric msgs = [](const run_result& r) { return r.msgs_per_s(); };
  const metric mb = [](const run_result& r) { return r.mb_per_s(); };
  const metric cpu_gb = [](const run_result& r) { return r.proxy_cpu_per_gb(); };
  const metric peak_client = [](const run_result& r) { return r.cpu.client / r.cpu.wall; };
  print_row("msgs/s", s, paths.size(), msgs, "%.0f");
  print_row("MB/s (payload)", s, paths.size(), mb, "%.1f");
  print_proxy_rows(s, paths);
  print_row("client CPU (cores)", s, paths.size(), peak_client, "%.2f");
  print_ratios("throughput", s, paths, msgs);
  print_ratios("CPU/GB", s, paths, cpu_gb, true);
  const auto ours = index_of(paths, "ours"), hap = index_of(paths, "haproxy");
  if (ours < paths.size() && hap < paths.size()) {
    const auto c = paired_ratios(s, ours, hap, cpu_gb);
    const auto t = paired_ratios(s, ours, hap, msgs);
    if (produce) {
      if (!c.empty()) f.produce_cpu_ratio.push_back(median(c));
      if (!t.empty()) f.produce_tput_ratio.push_back(median(t));
    } else {
      if (!c.empty()) f.consume_cpu_ratio = median(c);
      if (!t.empty()) f.consume_tput_ratio = median(t);
    }
  }
  if (const auto tuned = index_of(paths, "hap-tuned");
      ours < paths.size() && tuned < paths.size()) {
    const auto c = paired_ratios(s, ours, tuned, cpu_gb);
    if (!c.empty()) {
      if (produce) {
        f.produce_cpu_tuned.push_back(median(c));
      } else {
        f.consume_cpu_tuned = median(c);
      }
    }
  }
  accumulate(f, s);
}

void print_latency(const series& s, const std::vector<const path*>& paths, findings& f) {
  print_header("produce latency, linger.ms=0, acks=1 (delivery report - send), us", paths);
  const metric p50 = [](const run_result& r) { return r.p50_us; };
  const metric p99 = [](const run_result& r) { return r.p99_us; };
  const metric p999 = [](const run_result& r) { return r.p999_us; };
  print_row("p50", s, paths.size(), p50, "%.0f");
  print_row("p99", s, paths.size(), p99, "%.0f");
  print_row("p99.9", s, paths.size(), p999, "%.0f");
  const auto direct = index_of(paths, "direct");
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i]->is_proxy()) continue;
    const auto d50 = paired_diffs(s, i, direct, p50);
    const auto d99 = paired_diffs(s, i, direct, p99);
    const auto d999 = paired_diffs(s, i, direct, p999);
    if (d50.empty()) continue;
    std::printf("  added by %-10s p50 %s -> median %+.0f us | p99 %s -> %+.0f | p99.9 -> %+.0f\n",
                paths[i]->name.c_str(), join(d50, "%+.0f").c_str(), median(d50),
                join(d99, "%+.0f").c_str(), median(d99), median(d999));
    if (paths[i]->name == "ours") {
      f.ours_add_p50 = median(d50);
      f.ours_add_p99 = median(d99);
    } else if (paths[i]->name == "haproxy") {
      f.hap_add_p50 = median(d50);
      f.hap_add_p99 = median(d99);
    }
  }
}

void print_cpu_split(const findings& f, const std::vector<const path*>& paths) {
  std::printf("\n== where the CPU goes (sum over all throughput runs, seconds) ==\n");
  std::printf("%-14s%10s%10s%10s%10s%10s%10s%10s\n", "path", "wall", "client", "broker", "proxy",
              "client%", "broker%", "proxy%");
  for (std::size_t i = 0; i < paths.size() && i < 8; ++i) {
    const auto& t = f.totals[i];
    const double all = t.client + t.broker + t.proxy;
    if (all <= 0) continue;
    std::printf("%-14s%10.1f%10.1f%10.1f%10.1f%9.0f%%%9.0f%%%9.0f%%\n", paths[i]->name.c_str(),
                t.wall, t.client, t.broker, t.proxy, 100 * t.client / all, 100 * t.broker / all,
                100 * t.proxy / all);
  }
  std::printf(
      "  (client = this process minus the mock thread: librdkafka producer/consumer;\n"
      "   broker = librdkafka's mock cluster thread; proxy = utime+stime of the child)\n");
}

void print_idle(const path& p, const std::vector<idle_step>& steps) {
  for (const auto& st : steps)
    std::printf(
        "  %-10s %6d of %6d connections: RSS %7.1f -> %7.1f MiB, %6.2f KiB per connection\n",
        p.name.c_str(), st.opened, st.target, st.rss_before / 1048576.0, st.rss_after / 1048576.0,
        st.bytes_per_conn / 1024);
}

void run_micro(const std::string& micro, bool quick) {
  std::printf("\n== protocol micro-benchmarks (kpp_micro_bench): rewrite vs memcpy ==\n");
  if (::access(micro.c_str(), X_OK) != 0) {
    std::printf("  %s not built, skipped\n", micro.c_str());
    return;
  }
  const std::string cmd =
      micro + (quick ? " --benchmark_min_time=0.05" : " --benchmark_min_time=0.2") + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return;
  char line[1024];
  const std::regex row(R"(^(BM_\S+)\s+(\S+ \S+)\s+(\S+ \S+))");
  const std::regex ratio(R"(ratio_vs_memcpy=(\S+))");
  while (std::fgets(line, sizeof line, pipe)) {
    std::cmatch m, r;
    if (!std::regex_search(line, m, row)) continue;
    const bool has_ratio = std::regex_search(line, r, ratio);
    std::printf("  %-40s %14s%s\n", m[1].str().c_str(), m[2].str().c_str(),
                has_ratio ? ("   rewrite/memcpy " + r[1].str()).c_str() : "");
  }
  ::pclose(pipe);
}

std::vector<summary_line> summarize(const findings& f, bool have_hap) {
  std::vector<summary_line> out;
  auto ratio_line = [&](const std::string& target, std::optional<double> v, double limit,
                        bool upper) {
    summary_line l{target, v ? fmt("%.2fx HAProxy", *v) : "-",
                   (upper ? "<= " : ">= ") + fmt("%.2fx", limit), std::nullopt};
    if (v && have_hap) l.pass = upper ? *v <= limit : *v >= limit;
    out.push_back(l);
  };
  auto worst = [](const std::vector<double>& v, bool max) -> std::optional<double> {
    if (v.empty()) return std::nullopt;
    return max ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
  };
  ratio_line("proxy CPU per GB, produce (worst of 4 configs)", worst(f.produce_cpu_ratio, true),
             1.2, true);
  ratio_line("proxy CPU per GB, consume", f.consume_cpu_ratio, 1.2, true);
  ratio_line("throughput, produce (worst of 4 configs)", worst(f.produce_tput_ratio, false), 0.95,
             false);
  ratio_line("throughput, consume", f.consume_tput_ratio, 0.95, false);
  {
    summary_line l{"added p50 latency <= HAProxy's + 15 us", "-", "-", std::nullopt};
    if (f.ours_add_p50 && f.hap_add_p50) {
      l.value = fmt("%+.0f us", *f.ours_add_p50) + fmt(" (hap %+.0f)", *f.hap_add_p50);
      l.limit = fmt("<= %+.0f us", *f.hap_add_p50 + 15);
      l.pass = *f.ours_add_p50 <= *f.hap_add_p50 + 15;
    }
    out.push_back(l);
  }
  {
    summary_line l{"added p99 latency <= HAProxy's", "-", "-", std::nullopt};
    if (f.ours_add_p99 && f.hap_add_p99) {
      l.value = fmt("%+.0f us", *f.ours_add_p99) + fmt(" (hap %+.0f)", *f.hap_add_p99);
      l.limit = fmt("<= %+.0f us", *f.hap_add_p99);
      l.pass = *f.ours_add_p99 <= *f.hap_add_p99;
    }
    out.push_back(l);
  }
  for (const auto& st : f.ours_idle) {
    summary_line l{"RSS per idle connection, " + std::to_string(st.target) + " connections",
                   fmt("%.2f KiB", st.bytes_per_conn / 1024), "<= 8 KiB", std::nullopt};
    if (st.opened == st.target)
      l.pass = st.bytes_per_conn <= 8 * 1024;
    else
      l.value += " (" + std::to_string(st.opened) + " opened)";
    for (const auto& h : f.hap_idle)
      if (h.target == st.target) l.value += fmt(" (hap %.2f)", h.bytes_per_conn / 1024);
    out.push_back(l);
  }
  if (f.ours_idle.empty())
    out.push_back({"RSS per idle connection", "-", "<= 8 KiB", std::nullopt});
  {
    summary_line l{"50 MB Fetch: proxy peak RSS growth", "-", "< 1 MiB", std::nullopt};
    if (f.ours_fetch && f.ours_fetch->ok) {
      l.value = fmt("%.2f MiB", f.ours_fetch->hwm_growth / 1048576.0) +
                (f.ours_fetch->hwm_reset ? "" : " (upper bound)");
      l.pass = f.ours_fetch->hwm_growth < (1 << 20);
    }
    out.push_back(l);
  }
  {
    const auto w = worst(f.produce_cpu_tuned, true);
    out.push_back({"proxy CPU per GB, produce, vs tuned HAProxy (worst)",
                   w ? fmt("%.2fx tuned HAProxy", *w) : "-", "<= 1.10x",
                   w ? std::optional<bool>(*w <= 1.1) : std::nullopt});
    const auto c = f.consume_cpu_tuned;
    out.push_back({"proxy CPU per GB, consume, vs tuned HAProxy",
                   c ? fmt("%.2fx tuned HAProxy", *c) : "-", "<= 1.10x",
                   c ? std::optional<bool>(*c <= 1.1) : std::nullopt});
  }
  auto modern_line = [&](const std::string& target, std::optional<double> v, double limit,
                         bool upper) {
    summary_line l{target, v ? fmt("%.2fx tuned HAProxy", *v) : "-",
                   (upper ? "<= " : ">= ") + fmt("%.2fx", limit), std::nullopt};
    if (v) l.pass = upper ? *v <= limit : *v >= limit;
    out.push_back(l);
  };
  modern_line("modern consume: proxy CPU per GB", f.modern.consume_cpu, 1.2, true);
  modern_line("modern produce: proxy CPU per GB", f.modern.produce_cpu, 1.1, true);
  modern_line("modern consume: throughput", f.modern.consume_tput, 0.95, false);
  modern_line("modern produce: throughput", f.modern.produce_tput, 0.95, false);
  auto tls_line = [&](const std::string& target, std::optional<double> v, double limit, bool upper,
                      const char* vs) {
    summary_line l{target, v ? fmt("%.2fx ", *v) + vs : "-",
                   (upper ? "<= " : ">= ") + fmt("%.2fx", limit), std::nullopt};
    if (v) l.pass = upper ? *v <= limit : *v >= limit;
    out.push_back(l);
  };
  tls_line("TLS kgo produce: proxy CPU per GB", f.tls.produce_cpu, 1.2, true, "hap-tls");
  tls_line("TLS kgo consume: proxy CPU per GB", f.tls.consume_cpu, 1.2, true, "hap-tls");
  tls_line("TLS kgo produce: throughput", f.tls.produce_tput, 0.95, false, "hap-tls");
  tls_line("TLS kgo consume: throughput", f.tls.consume_tput, 0.95, false, "hap-tls");
  tls_line("TLS kgo produce: SNI CPU per GB", f.tls.sni_produce_cpu, 1.05, true, "ours-tls");
  tls_line("TLS kgo consume: SNI CPU per GB", f.tls.sni_consume_cpu, 1.05, true, "ours-tls");
  tls_line("TLS librdkafka produce: proxy CPU per GB", f.tls.rd_produce_cpu, 1.2, true, "hap-tls");
  tls_line("TLS librdkafka consume: proxy CPU per GB", f.tls.rd_consume_cpu, 1.2, true, "hap-tls");
  tls_line("TLS librdkafka produce: throughput", f.tls.rd_produce_tput, 0.95, false, "hap-tls");
  tls_line("TLS librdkafka consume: throughput", f.tls.rd_consume_tput, 0.95, false, "hap-tls");
  {
    summary_line l{"TLS librdkafka: added p50 (reported)", "-", "-", std::nullopt};
    if (f.tls.ours_add_p50)
      l.value = fmt("%+.0f us", *f.tls.ours_add_p50) +
                (f.tls.hap_add_p50 ? fmt(" (hap %+.0f)", *f.tls.hap_add_p50) : "");
    out.push_back(l);
  }
  {
    summary_line l{"RSS per idle TLS connection (both legs)", "-", "<= 48 KiB", std::nullopt};
    if (f.tls.ours_idle_kib) {
      l.value = fmt("%.1f KiB", *f.tls.ours_idle_kib) +
                (f.tls.hap_idle_kib ? fmt(" (hap %.1f)", *f.tls.hap_idle_kib) : "");
      l.pass = *f.tls.ours_idle_kib <= 48;
    }
    out.push_back(l);
  }
  return out;
}

int run(const options& o) {
  const auto started = std::chrono::steady_clock::now();
  // The modern section moves 4 paths x reps x 2 phases x modern_gb through two shared cores.
  const auto modern_budget = std::chrono::seconds(
      o.want("modern") ? static_cast<long>(600 + 90 * o.modern_gb * 4 * o.modern.reps) : 0);
  // The TLS section: 4 kgo-bench paths x reps x 2 phases x tls_gb, the same bytes through 3
  // librdkafka paths, and idle connections.
  const auto tls_budget = std::chrono::seconds(
      o.want("tls") ? static_cast<long>(300 + 120 * o.tls_gb * 7 * o.modern.reps) : 0);
  // Byte-bounded librdkafka runs: 5 configs x 5 paths x reps, at 20 MB/s at the slowest.
  const bool rdkafka_runs = o.want("produce") || o.want("consume");
  const auto rdkafka_budget =
      std::chrono::seconds(rdkafka_runs ? static_cast<long>(o.rdkafka_gb * 50 * 25 * o.reps) : 0);
  install_cleanup((o.quick ? 240s : 720s) + rdkafka_budget + modern_budget + tls_budget);
  const auto nofile = raise_nofile();
  std::printf("kafka-psc-proxy-bench (%s, %d repetitions, %d proxy thread(s))\n",
              o.quick ? "quick" : "full", o.reps, o.proxies.threads);
  std::printf("  ours: %s\n  RLIMIT_NOFILE: %llu\n", o.proxies.ours_binary.c_str(),
              static_cast<unsigned long long>(nofile));

  mock cluster;
  std::printf("  mock cluster: %s (listen backlog raised to %d in-process)\n",
              cluster.bootstraps().c_str(), last_listen_backlog());
  rd_kafka_mock_topic_create(cluster.get(), "bench-produce", 6, 3);
  rd_kafka_mock_topic_create(cluster.get(), "bench-consume", 12, 3);
  rd_kafka_mock_topic_create(cluster.get(), "bench-latency", 3, 3);
  rd_kafka_mock_topic_create(cluster.get(), "bench-big", 1, 1);

  redirect_map redirect, redirect_tuned;
  path direct = direct_path(cluster);
  auto hap = start_haproxy(cluster, o.proxies, redirect);
  auto ours = start_ours(cluster, o.proxies);
  auto extra = start_extra(cluster, o.proxies);
  std::vector<const path*> paths{&direct};
  if (hap) paths.push_back(&*hap);
  auto hap_tuned = start_haproxy(cluster, o.proxies, redirect_tuned, true);
  if (hap_tuned) paths.push_back(&*hap_tuned);
  if (ours) paths.push_back(&*ours);
  if (extra) paths.push_back(&*extra);
  std::printf("  paths:");
  for (const auto* p : paths) std::printf(" %s(%s)", p->name.c_str(), p->bootstrap.c_str());
  std::printf("\n");
  if (!ours) std::printf("  WARNING: kafka-psc-proxy did not start; its targets are n/a\n");

  const double run_s = o.quick ? 0.8 : 2.0;  // the runs that are not byte-bounded
  const auto run_bytes = static_cast<std::uint64_t>(o.rdkafka_gb * 1e9);
  const std::string run_text =
      run_bytes > 0 ? fmt("%.2f GB runs", o.rdkafka_gb) : fmt("%.1f s runs", run_s);
  findings f;

  // Producer throughput.
  for (const std::size_t size : {std::size_t{100}, std::size_t{1024}})
    for (const std::string acks : {"1", "all"}) {
      if (!o.want("produce")) break;
      const produce_spec spec{"bench-produce", size, acks, run_s, run_bytes};
      const auto s = alternate(paths, o.reps, [&](const path& p) { return run_produce(p, spec); });
      print_throughput(
          "producer " + std::to_string(size) + " B, acks=" + acks + ", linger.ms=5, " + run_text, s,
          paths, f, true);
    }
  if (hap && o.want("produce")) {
    std::printf(
        "  HAProxy check: %ld client connects redirected by connect_cb, %.1f MB through its "
        "frontends\n",
        redirect.redirected.load(), haproxy_frontend_bytes(*hap) / 1e6);
  }

  // Consumer throughput: a static topic (the mock keeps ~5 MB per partition) read from the
  // beginning, again and again until the run time is reached.
  if (o.want("consume")) {
    const auto per_pass = prefill(direct, "bench-consume", 12, 1024, 5 << 20);
    const consume_spec spec{"bench-consume", 12, per_pass, run_s, run_bytes};
    const auto s = alternate(paths, o.reps, [&](const path& p) { return run_consume(p, spec); });
    print_throughput(
        "consumer, 1 KiB records, " + std::to_string(per_pass) + " per pass, " + run_text, s, paths,
        f, false);
  }
  if (o.want("produce") || o.want("consume")) {
    print_cpu_split(f, paths);
    std::printf("\n== proxy peak RSS after the throughput runs (VmHWM) ==\n");
    for (const auto* p : paths)
      if (p->is_proxy())
        std::printf("  %-12s %.1f MiB\n", p->name.c_str(), hwm_bytes(p->pid()) / 1048576.0);
  }

  // Latency at a fixed moderate rate.
  if (o.want("latency")) {
    const latency_spec spec{"bench-latency", 100, o.quick ? 1000 : 2000, o.quick ? 1.0 : 3.0};
    const auto s = alternate(paths, o.reps, [&](const path& p) { return run_latency(p, spec); });
    print_latency(s, paths, f);
    std::printf("  (%d msgs/s for %.1f s per run, 100 B records)\n", spec.rate, spec.seconds);
  }

  // One ~50 MB Fetch response: a single 50 MiB message set in one partition (the mock
  // answers a Fetch with one message set per partition).
  if (o.want("fetch")) {
    std::printf("\n== one ~50 MB Fetch response ==\n");
    const auto big = prefill(direct, "bench-big", 1, 1024, 50ull << 20,
                             {{"batch.size", "62914560"},
                              {"message.max.bytes", "104857600"},
                              {"batch.num.messages", "1000000"},
                              {"linger.ms", "5000"},
                              {"queue.buffering.max.kbytes", "262144"}});
    std::printf("  topic bench-big holds %llu records of 1 KiB\n",
                static_cast<unsigned long long>(big));
    for (const auto* p : paths) {
      if (!p->is_proxy()) continue;
      const auto r = run_big_fetch(*p, "bench-big", big);
      std::printf("  %-12s %s %.1f MB in %.2f s, peak RSS growth %.2f MiB over %.1f MiB%s\n",
                  p->name.c_str(), r.ok ? "read" : ("FAILED (" + r.error + ")").c_str(),
                  r.bytes / 1e6, r.seconds, r.hwm_growth / 1048576.0, r.rss_before / 1048576.0,
                  r.hwm_reset ? "" : " (VmHWM not reset: upper bound)");
      if (p->name == "ours") f.ours_fetch = r;
    }
  }

  // Idle connections: RSS per connection.
  if (o.want("connections")) {
    // Every proxied connection costs two descriptors here (client + mock side) and two in
    // the proxy; stay inside RLIMIT_NOFILE.
    const int cap = static_cast<int>(std::min<std::uint64_t>(10000, (nofile - 300) / 2));
    std::vector<int> steps{1000};
    if (!o.quick) steps.push_back(cap);
    std::printf("\n== RSS per idle connection (ApiVersions round trip, then idle) ==\n");
    if (cap < 10000 && !o.quick)
      std::printf("  10,000 capped at %d: RLIMIT_NOFILE hard limit %llu (needs CAP_SYS_RESOURCE)\n",
                  cap, static_cast<unsigned long long>(nofile));
    for (const auto* p : paths) {
      if (!p->is_proxy()) continue;
      const auto st = run_idle_connections(*p, steps);
      print_idle(*p, st);
      if (p->name == "ours") f.ours_idle = st;
      if (p->name == "haproxy") f.hap_idle = st;
    }
  }

  if (o.want("micro")) run_micro(o.micro, o.quick);

  if (o.want("modern")) {
    modern_options mo = o.modern;
    mo.proxies = o.proxies;
    f.modern = run_modern(mo);
  }

  if (o.want("tls")) {
    tls_options to;
    to.modern = o.modern;
    to.modern.proxies = o.proxies;
    to.modern.bytes_per_phase = static_cast<std::uint64_t>(o.tls_gb * 1e9);
    to.idle_connections = o.tls_idle;
    to.quick = o.quick;
    f.tls = run_tls(to, cluster);
  }

  print_summary(summarize(f, hap.has_value()));
  std::printf("\ntotal time %.0f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return 0;
}

}  // namespace
}  // namespace kpp::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int rc = 1;
  try {
    const auto o = kpp::bench::parse(argc, argv);
    if (!o) return 0;
    rc = kpp::bench::run(*o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kafka-psc-proxy-bench: %s\n", e.what());
  }
  kpp::bench::kill_all_children();
  kpp::bench::remove_temp_dir();
  return rc;
}
