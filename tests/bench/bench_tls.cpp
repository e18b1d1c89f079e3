#include "bench_tls.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "bench_sys.h"
#include "bench_workloads.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/test_certs.h"

namespace kpp::bench {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr const char* kBootHost = "boot.kpp.test";  // ours-sni's bootstrap name

// The run's certificates: a CA, a server certificate for localhost, 127.0.0.1 and
// *.kpp.test (kfake, HAProxy and the proxy all present it), and HAProxy's cert+key PEM.
struct tls_material {
  kpp::test::cert_dir dir;
  bool ok = false;
  [[nodiscard]] std::string ca() const { return dir.path("ca.pem"); }
  [[nodiscard]] std::string cert() const { return dir.path("server.pem"); }
  [[nodiscard]] std::string key() const { return dir.path("server.key"); }
  [[nodiscard]] std::string haproxy_pem() const { return dir.path("haproxy.pem"); }
  tls_material() {
    ok = dir.ok() && dir.make_ca("ca") &&
         dir.make_server("ca", "server", 1001, "DNS:localhost,DNS:*.kpp.test,IP:127.0.0.1");
    if (ok) write_file(haproxy_pem(), read_file(cert()) + read_file(key()));
  }
};

// HAProxy terminating TLS on one frontend per backend port; `backend_tls` re-originates TLS
// (verified against the CA, SNI localhost). Fills `redirect` (librdkafka's connect_cb) and
// the kgo-bench -remap.
std::optional<modern_path> start_haproxy_tls(const std::vector<std::uint16_t>& backends,
                                             const proxy_options& o, const tls_material& m,
                                             bool backend_tls, redirect_map* redirect,
                                             const std::string& name) {
  if (::access(o.haproxy_binary.c_str(), X_OK) != 0) {
    std::printf("  HAProxy: %s not found, skipping its TLS path\n", o.haproxy_binary.c_str());
    return std::nullopt;
  }
  const std::uint16_t base = kpp::test::free_port_run(static_cast<int>(backends.size()));
  modern_path mp;
  mp.p.name = name;
  std::ostringstream cfg;
  // Defaults otherwise (tune.bufsize 16 KiB = one TLS record; splice does not apply to TLS).
  cfg << "global\n  maxconn 2000\n  nbthread " << o.threads << "\n"
      << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n"
      << "  timeout server 1h\n  maxconn 2000\n";
  for (std::size_t i = 0; i < backends.size(); ++i) {
    const auto front = static_cast<std::uint16_t>(base + i);
    cfg << "frontend b" << i << "\n  bind " << loopback(front) << " ssl crt " << m.haproxy_pem()
        << "\n  default_backend b" << i << "\nbackend b" << i << "\n  server s" << i << " "
        << loopback(backends[i]);
    if (backend_tls) cfg << " ssl verify required ca-file " << m.ca() << " sni str(localhost)";
    cfg << "\n";
    mp.remap += (mp.remap.empty() ? "" : ",") + loopback(backends[i]) + "=" + loopback(front);
    if (redirect) redirect->port[backends[i]] = front;
  }
  const std::string cfg_path = temp_dir() + "/" + name + ".cfg";
  write_file(cfg_path, cfg.str());
  mp.p.process =
      std::make_unique<child>(std::vector<std::string>{o.haproxy_binary, "-db", "-f", cfg_path},
                              temp_dir() + "/" + name + ".log");
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (!wait_port(static_cast<std::uint16_t>(base + i), 10s) || !mp.p.process->running()) {
      std::printf("  %s did not start:\n%s\n", name.c_str(), mp.p.process->log_tail().c_str());
      return std::nullopt;
    }
  }
  mp.p.bootstrap = loopback(base);
  mp.p.raw_port = base;
  mp.p.redirect = redirect;
  return mp;
}

enum class ours_mode : std::uint8_t { per_port, sni };

// kafka-psc-proxy with a TLS listener; `upstream_tls` dials the brokers with TLS (verified
// against the CA). `first_node`: the brokers' first node id (kfake 0, the mock 1), for the
// names ours-sni advertises.
std::optional<modern_path> start_ours_tls(const std::vector<std::uint16_t>& brokers,
                                          const proxy_options& o, const tls_material& m,
                                          ours_mode mode, bool upstream_tls, int first_node,
                                          const std::string& name) {
  if (::access(o.ours_binary.c_str(), X_OK) != 0) {
    std::printf("  kafka-psc-proxy: %s not found (use --proxy PATH)\n", o.ours_binary.c_str());
    return std::nullopt;
  }
  std::string servers;
  for (const auto port : brokers) servers += (servers.empty() ? "" : ",") + loopback(port);
  const std::uint16_t admin = kpp::test::free_port();
  const auto nofile = raise_nofile();
  std::ostringstream yaml;
  yaml << "listen: 127.0.0.1\nthreads: " << o.threads << "\n"
       << "bootstrap:\n  servers: \"" << servers << "\"\n";
  modern_path mp;
  mp.p.name = name;
  if (mode == ours_mode::per_port) {
    // Broker N on base + N (node ids 0..3); bootstrap on base + 4.
    const std::uint16_t base = kpp::test::free_port_run(5);
    yaml << "  listeners:\n    - listen: " << loopback(static_cast<std::uint16_t>(base + 4))
         << "\nbrokers:\n  port_policy: node-id\n  base_port: " << base << "\n"
         << "  node_id_offset: 0\n  port_range: 4\n"
         << "  listen_host: 127.0.0.1\n  advertised_host: 127.0.0.1\n";
    mp.p.bootstrap = loopback(static_cast<std::uint16_t>(base + 4));
    mp.p.raw_port = static_cast<std::uint16_t>(base + 1);
  } else {
    // One port for the bootstrap name and every broker; kgo-bench dials every name there.
    const std::uint16_t port = kpp::test::free_port();
    yaml << "brokers:\n  advertised_host: b{node_id}.kpp.test\nrouting: sni\nsni:\n"
         << "  listen: " << loopback(port) << "\n  bootstrap_host: " << kBootHost << "\n";
    const std::string suffix = ":" + std::to_string(port);
    mp.p.bootstrap = kBootHost + suffix;
    mp.remap = kBootHost + suffix + "=" + loopback(port);
    for (std::size_t i = 0; i < brokers.size(); ++i)
      mp.remap += ",b" + std::to_string(first_node + static_cast<int>(i)) + ".kpp.test" + suffix +
                  "=" + loopback(port);
    mp.p.raw_port = port;
  }
  yaml << "tls:\n  cert_file: " << m.cert() << "\n  key_file: " << m.key() << "\n  refresh: 0s\n";
  if (upstream_tls)
    yaml << "upstream:\n  tls:\n    enabled: true\n    ca_file: " << m.ca()
         << "\n    refresh: 0s\n";
  yaml << "limits:\n  max_connections: " << nofile << "\n"
       << "admin:\n  address: " << loopback(admin) << "\nlog:\n  level: warn\n";
  const std::string cfg_path = temp_dir() + "/" + name + ".yaml";
  write_file(cfg_path, yaml.str());
  mp.p.process =
      std::make_unique<child>(std::vector<std::string>{o.ours_binary, "--config", cfg_path},
                              temp_dir() + "/" + name + ".log");
  const auto deadline = clock::now() + 20s;
  while (kpp::test::http_get(admin, "/ready", 500ms).status != 200) {
    if (!mp.p.process->running() || clock::now() > deadline) {
      std::printf("  %s did not start:\n%s\n", name.c_str(), mp.p.process->log_tail().c_str());
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);  // polling /ready, bounded
  }
  return mp;
}

// A blocking TLS client connection (OpenSSL on a socket with send/receive timeouts, so
// every call is bounded) for the idle-connection measurement.
class tls_idle_connection final : public idle_connection {
 public:
  tls_idle_connection(std::uint16_t port, SSL_CTX* ctx, const std::string& sni) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    set_timeout(10000ms);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ssl_ = SSL_new(ctx);
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return;
    if (!sni.empty()) SSL_set_tlsext_host_name(ssl_, sni.c_str());
    ok_ = SSL_connect(ssl_) == 1;
  }
  ~tls_idle_connection() override {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  tls_idle_connection(const tls_idle_connection&) = delete;
  tls_idle_connection& operator=(const tls_idle_connection&) = delete;

  [[nodiscard]] bool connected() const override { return ok_; }
  bool send(const std::vector<std::uint8_t>& frame) override {
    std::size_t n = 0;
    return ok_ && SSL_write_ex(ssl_, frame.data(), frame.size(), &n) == 1 && n == frame.size();
  }
  bool read_frame(std::chrono::milliseconds timeout) override {
    set_timeout(timeout);
    std::uint8_t size[4];
    if (!read_exact(size, sizeof size)) return false;
    std::vector<std::uint8_t> body((std::uint32_t(size[0]) << 24) | (std::uint32_t(size[1]) << 16) |
                                   (std::uint32_t(size[2]) << 8) | size[3]);
    return read_exact(body.data(), body.size());
  }

 private:
  void set_timeout(std::chrono::milliseconds t) const {
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  bool read_exact(std::uint8_t* out, std::size_t len) {
    while (ok_ && len > 0) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, out, len, &n) != 1) return false;
      out += n;
      len -= n;
    }
    return ok_;
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
};

struct ssl_ctx_deleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;

ssl_ctx_ptr client_ctx_for(const tls_material& m) {
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_load_verify_locations(ctx.get(), m.ca().c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

// RSS per idle TLS connection through every proxy path; returns ours-tls' and hap-tls' KiB.
void measure_idle(const std::vector<const modern_path*>& paths, const tls_material& m, int n,
                  tls_findings& f) {
  std::printf(
      "\n== RSS per idle TLS connection (TLS handshake + ApiVersions round trip, then "
      "idle; %d connections) ==\n",
      n);
  const auto ctx = client_ctx_for(m);
  for (const auto* mp : paths) {
    if (!mp->p.is_proxy()) continue;
    // ours-sni routes by the name: broker 1's; the per-port paths ignore it.
    const std::string sni = mp->p.name == "ours-sni" ? "b1.kpp.test" : "localhost";
    const idle_opener open = [&](std::uint16_t port) -> std::unique_ptr<idle_connection> {
      return std::make_unique<tls_idle_connection>(port, ctx.get(), sni);
    };
    // A few connections first: the allocator's arenas and OpenSSL's tables grow once.
    run_idle_connections(mp->p, {16}, open);
    const auto steps = run_idle_connections(mp->p, {n}, open);
    for (const auto& st : steps) {
      std::printf(
          "  %-10s %5d of %5d connections: RSS %7.1f -> %7.1f MiB, %6.2f KiB per connection "
          "(both legs)\n",
          mp->p.name.c_str(), st.opened, st.target, st.rss_before / 1048576.0,
          st.rss_after / 1048576.0, st.bytes_per_conn / 1024);
      if (st.opened != st.target) continue;
      if (mp->p.name == "ours-tls") f.ours_idle_kib = st.bytes_per_conn / 1024;
      if (mp->p.name == "hap-tls") f.hap_idle_kib = st.bytes_per_conn / 1024;
    }
  }
}

void print_kgo_phase(const std::string& title, const series& s,
                     const std::vector<const path*>& paths, std::optional<double>& cpu_ratio,
                     std::optional<double>& tput_ratio, std::optional<double>& sni_ratio) {
  print_kgo_table(title, s, paths);
  const metric mb = [](const run_result& r) { return r.mb_per_s(); };
  const metric cpu_gb = [](const run_result& r) { return r.proxy_cpu_per_gb(); };
  std::printf(" CPU per GB, paired per repetition:\n");
  cpu_ratio = ratio_to(s, paths, "ours-tls", "hap-tls", cpu_gb);
  ratio_to(s, paths, "ours-sni", "hap-tls", cpu_gb);
  sni_ratio = ratio_to(s, paths, "ours-sni", "ours-tls", cpu_gb);
  std::printf(" throughput, paired per repetition:\n");
  tput_ratio = ratio_to(s, paths, "ours-tls", "hap-tls", mb);
  ratio_to(s, paths, "ours-sni", "hap-tls", mb);
  ratio_to(s, paths, "hap-tls", "direct-tls", mb);
}

void run_kgo(const tls_options& o, const tls_material& m, tls_findings& f) {
  std::printf("\n== TLS, modern protocol: kgo-bench (-tls-ca) against kfake-broker with TLS ==\n");
  const auto& mo = o.modern;
  for (const auto& tool : {mo.kfake, mo.kgo}) {
    if (::access(tool.c_str(), X_OK) != 0) {
      std::printf("  %s not found (--kfake / --kgo-bench, or KPP_KFAKE): skipped\n", tool.c_str());
      return;
    }
  }
  const std::uint16_t first = kpp::test::free_port_run(3);
  const std::vector<std::uint16_t> ports{first, static_cast<std::uint16_t>(first + 1),
                                         static_cast<std::uint16_t>(first + 2)};
  child kfake({mo.kfake, "-ports", joined_ports(ports), "-log-level", "none", "-tls-cert", m.cert(),
               "-tls-key", m.key()},
              temp_dir() + "/kfake-tls.log");
  for (const auto port : ports) {
    if (!wait_port(port, 15s) || !kfake.running()) {
      std::printf("  kfake-broker did not start:\n%s\n", kfake.log_tail().c_str());
      return;
    }
  }
  std::vector<modern_path> started;
  {
    modern_path direct;
    direct.p.name = "direct-tls";
    direct.p.bootstrap = loopback(ports[0]);
    started.push_back(std::move(direct));
  }
  if (auto h = start_haproxy_tls(ports, mo.proxies, m, true, nullptr, "hap-tls"))
    started.push_back(std::move(*h));
  if (auto p = start_ours_tls(ports, mo.proxies, m, ours_mode::per_port, true, 0, "ours-tls"))
    started.push_back(std::move(*p));
  if (auto p = start_ours_tls(ports, mo.proxies, m, ours_mode::sni, true, 0, "ours-sni"))
    started.push_back(std::move(*p));
  std::vector<const path*> paths;
  for (const auto& mp : started) paths.push_back(&mp.p);
  std::printf("  TLS on both legs (kgo-bench -> path -> kfake); direct-tls: kgo-bench -> kfake\n");

  modern_options ko = mo;
  ko.tls_ca = m.ca();
  const auto [produce, consume] = run_kgo_rotated(started, ko, kfake.pid(), "tls-");
  print_kgo_phase("TLS produce (kgo-bench, acks=leader, 1 KiB incompressible)", produce, paths,
                  f.produce_cpu, f.produce_tput, f.sni_produce_cpu);
  print_kgo_phase("TLS consume (kgo-bench, Fetch v12+, fetch.max.bytes 50 MiB)", consume, paths,
                  f.consume_cpu, f.consume_tput, f.sni_consume_cpu);
  std::printf("\n  proxy peak RSS (VmHWM) after the TLS runs:");
  for (const auto* p : paths)
    if (p->is_proxy())
      std::printf(" %s %.1f MiB", p->name.c_str(), hwm_bytes(p->pid()) / 1048576.0);
  std::printf("\n");

  if (o.idle_connections > 0) {
    std::vector<const modern_path*> idle;
    for (const auto& mp : started) idle.push_back(&mp);
    measure_idle(idle, m, o.idle_connections, f);
  }
}

void run_rdkafka(const tls_options& o, const mock& cluster, const tls_material& m,
                 tls_findings& f) {
  std::printf(
      "\n== TLS, librdkafka: client TLS -> path -> librdkafka's mock cluster in PLAINTEXT (the "
      "mock has no TLS) ==\n");
  rd_kafka_mock_topic_create(cluster.get(), "bench-tls-produce", 6, 3);
  rd_kafka_mock_topic_create(cluster.get(), "bench-tls-consume", 12, 3);
  rd_kafka_mock_topic_create(cluster.get(), "bench-tls-latency", 3, 3);
  const std::vector<std::pair<std::string, std::string>> tls_client{{"security.protocol", "ssl"},
                                                                    {"ssl.ca.location", m.ca()}};
  path direct = direct_path(cluster);
  redirect_map redirect;
  auto hap = start_haproxy_tls(cluster.ports(), o.modern.proxies, m, false, &redirect, "hap-tls");
  // HAProxy sits in front of the mock's own addresses: bootstrap there, connect_cb redirects.
  if (hap) {
    hap->p.bootstrap = cluster.bootstraps();
    hap->p.client_settings = tls_client;
  }
  auto ours = start_ours_tls(cluster.ports(), o.modern.proxies, m, ours_mode::per_port, false, 1,
                             "ours-tls");
  if (ours) ours->p.client_settings = tls_client;
  std::vector<const path*> paths{&direct};
  if (hap) paths.push_back(&hap->p);
  if (ours) paths.push_back(&ours->p);
  std::printf("  direct: plaintext, for reference; hap-tls and ours-tls: client leg TLS only\n");

  const metric msgs = [](const run_result& r) { return r.msgs_per_s(); };
  const metric mb = [](const run_result& r) { return r.mb_per_s(); };
  const metric cpu_gb = [](const run_result& r) { return r.proxy_cpu_per_gb(); };
  auto table = [&](const std::string& title, const series& s, std::optional<double>& cpu,
                   std::optional<double>& tput) {
    print_header(title, paths);
    print_row("msgs/s", s, paths.size(), msgs, "%.0f");
    print_row("MB/s (payload)", s, paths.size(), mb, "%.1f");
    print_proxy_rows(s, paths);
    std::printf(" CPU per GB, paired per repetition:\n");
    cpu = ratio_to(s, paths, "ours-tls", "hap-tls", cpu_gb);
    std::printf(" throughput, paired per repetition:\n");
    tput = ratio_to(s, paths, "ours-tls", "hap-tls", msgs);
  };
  char per_run[48];
  std::snprintf(per_run, sizeof per_run, ", %.2f GB a run",
                static_cast<double>(o.modern.bytes_per_phase) / 1e9);
  {
    const produce_spec spec{"bench-tls-produce", 1024, "1", 0, o.modern.bytes_per_phase};
    const auto s =
        alternate(paths, o.modern.reps, [&](const path& p) { return run_produce(p, spec); });
    table(std::string("TLS producer 1 KiB, acks=1, linger.ms=5") + per_run, s, f.rd_produce_cpu,
          f.rd_produce_tput);
  }
  {
    const auto per_pass = prefill(direct, "bench-tls-consume", 12, 1024, 5 << 20);
    const consume_spec spec{"bench-tls-consume", 12, per_pass, 0, o.modern.bytes_per_phase};
    const auto s =
        alternate(paths, o.modern.reps, [&](const path& p) { return run_consume(p, spec); });
    table(std::string("TLS consumer, 1 KiB records") + per_run, s, f.rd_consume_cpu,
          f.rd_consume_tput);
  }
  {
    const latency_spec spec{"bench-tls-latency", 100, o.quick ? 1000 : 2000, o.quick ? 1.0 : 3.0};
    const auto s =
        alternate(paths, o.modern.reps, [&](const path& p) { return run_latency(p, spec); });
    print_header("TLS produce latency, linger.ms=0, acks=1 (delivery report - send), us", paths);
    const metric p50 = [](const run_result& r) { return r.p50_us; };
    const metric p99 = [](const run_result& r) { return r.p99_us; };
    print_row("p50", s, paths.size(), p50, "%.0f");
    print_row("p99", s, paths.size(), p99, "%.0f");
    for (std::size_t i = 1; i < paths.size(); ++i) {
      const auto d50 = paired_diffs(s, i, 0, p50);
      if (d50.empty()) continue;
      std::printf("  added by %-9s (TLS) over direct (plaintext): p50 %s -> median %+.0f us\n",
                  paths[i]->name.c_str(), join(d50, "%+.0f").c_str(), median(d50));
      (paths[i]->name == "ours-tls" ? f.ours_add_p50 : f.hap_add_p50) = median(d50);
    }
    std::printf("  (%d msgs/s for %.1f s per run, 100 B records)\n", spec.rate, spec.seconds);
  }
}

}  // namespace

tls_findings run_tls(const tls_options& o, const mock& cluster) {
  tls_findings f;
  tls_material m;
  if (!m.ok) {
    std::printf(
        "\n== TLS ==\n  could not make certificates with the openssl command line "
        "(apt-get install openssl): section skipped\n");
    return f;
  }
  run_kgo(o, m, f);
  run_rdkafka(o, cluster, m, f);
  return f;
}

}  // namespace kpp::bench
