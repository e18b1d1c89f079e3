#include "bench_paths.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/ports.h"
#include "support/proxy_process.h"

namespace kpp::bench {
namespace {

using namespace std::chrono_literals;
using kpp::test::free_port;
using kpp::test::free_port_run;

int redirect_connect(int fd, const sockaddr* addr, int len, const char*, void* opaque) {
  sockaddr_storage copy{};
  std::memcpy(&copy, addr, static_cast<std::size_t>(len));
  auto* ctx = static_cast<client_ctx*>(opaque);
  if (ctx && ctx->redirect && addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&copy);
    if (auto it = ctx->redirect->port.find(ntohs(in->sin_port)); it != ctx->redirect->port.end()) {
      in->sin_port = htons(it->second);
      ++ctx->redirect->redirected;
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&copy), static_cast<socklen_t>(len)) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  // Loopback: the connect completes at once; wait for it so librdkafka gets a clear answer.
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 5000) <= 0) return ETIMEDOUT;
  int err = 0;
  socklen_t l = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
  return err;
}

void print_failure(const char* what, child& c) {
  std::printf("  %s did not start; its output:\n%s\n", what, c.log_tail().c_str());
}

}  // namespace

mock::mock() {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!owner_) throw std::runtime_error(err);
  cluster_ = rd_kafka_mock_cluster_new(owner_, 3);
  if (!cluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
}

mock::~mock() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (owner_) rd_kafka_destroy(owner_);
}

std::string mock::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

std::vector<std::uint16_t> mock::ports() const {
  std::vector<std::uint16_t> out;
  std::istringstream in(bootstraps());
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(static_cast<std::uint16_t>(std::stoi(item.substr(item.rfind(':') + 1))));
  return out;
}

path direct_path(const mock& m) {
  path p;
  p.name = "direct";
  p.bootstrap = m.bootstraps();
  p.raw_port = m.ports().at(0);
  return p;
}

std::optional<path> start_haproxy(const mock& m, const proxy_options& o, redirect_map& redirect,
                                  bool tuned) {
  if (::access(o.haproxy_binary.c_str(), X_OK) != 0) {
    std::printf("  HAProxy: %s not found, skipping the HAProxy path\n", o.haproxy_binary.c_str());
    return std::nullopt;
  }
  const auto mock_ports = m.ports();
  const std::uint16_t base = free_port_run(static_cast<int>(mock_ports.size()));
  path p;
  p.name = tuned ? "hap-tuned" : "haproxy";
  p.stats_socket = temp_dir() + "/" + p.name + ".sock";
  // maxconn: every proxied connection costs HAProxy two descriptors; stay inside the limit
  // it inherits from us (raising it needs a privilege containers usually lack).
  const auto nofile = raise_nofile();
  const auto maxconn = std::max<std::uint64_t>(1000, (nofile - 200) / 2);
  std::ostringstream cfg;
  cfg << "global\n  maxconn " << maxconn << "\n  nbthread " << o.threads << "\n"
      << "  stats socket " << p.stats_socket
      << " mode 600 level admin\n"
      // splice-auto's pipes count against the descriptor limit too (maxpipes defaults to
      // maxconn / 4): a few are enough for the throughput runs.
      << (tuned ? "  tune.bufsize 65536\n  maxpipes 64\n" : "")
      << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n"
      << "  timeout server 1h\n  maxconn " << maxconn << "\n"
      << (tuned ? "  option splice-auto\n" : "");
  for (std::size_t i = 0; i < mock_ports.size(); ++i) {
    const auto front = static_cast<std::uint16_t>(base + i);
    redirect.port[mock_ports[i]] = front;
    cfg << "frontend b" << i + 1 << "\n  bind " << loopback(front) << "\n  default_backend b"
        << i + 1 << "\nbackend b" << i + 1 << "\n  server s" << i + 1 << " "
        << loopback(mock_ports[i]) << "\n";
  }
  const std::string cfg_path = temp_dir() + "/" + p.name + ".cfg";
  write_file(cfg_path, cfg.str());
  p.process =
      std::make_unique<child>(std::vector<std::string>{o.haproxy_binary, "-db", "-f", cfg_path},
                              temp_dir() + "/" + p.name + ".log");
  for (std::size_t i = 0; i < mock_ports.size(); ++i) {
    if (!wait_port(static_cast<std::uint16_t>(base + i), 10s) || !p.process->running()) {
      print_failure("HAProxy", *p.process);
      return std::nullopt;
    }
  }
  // Clients bootstrap at the mock's own addresses; the connect_cb sends them to HAProxy.
  p.bootstrap = m.bootstraps();
  p.raw_port = base;
  p.redirect = &redirect;
  return p;
}

std::optional<path> start_ours(const mock& m, const proxy_options& o) {
  if (::access(o.ours_binary.c_str(), X_OK) != 0) {
    std::printf("  kafka-psc-proxy: %s not found (use --proxy PATH)\n", o.ours_binary.c_str());
    return std::nullopt;
  }
  // Broker N listens on base + N (node-id range base..base+3); bootstrap on base + 4.
  const std::uint16_t base = free_port_run(5);
  const auto bootstrap = static_cast<std::uint16_t>(base + 4);
  const std::uint16_t admin = free_port();
  const auto nofile = raise_nofile();
  std::ostringstream yaml;
  yaml << "listen: 127.0.0.1\nthreads: " << o.threads << "\n"
       << "bootstrap:\n  servers: \"" << m.bootstraps() << "\"\n"
       << "  listeners:\n    - listen: " << loopback(bootstrap) << "\n"
       << "brokers:\n  port_policy: node-id\n  base_port: " << base << "\n"
       << "  node_id_offset: 0\n  port_range: 4\n  listen_host: 127.0.0.1\n"
       << "  advertised_host: 127.0.0.1\n"
       << "limits:\n  max_connections: " << nofile << "\n"
       << "admin:\n  address: " << loopback(admin) << "\n"
       << "log:\n  level: warn\n";
  const std::string cfg_path = temp_dir() + "/ours.yaml";
  write_file(cfg_path, yaml.str());
  path p;
  p.name = "ours";
  p.process = std::make_unique<child>(std::vector<std::string>{o.ours_binary, "--config", cfg_path},
                                      temp_dir() + "/ours.log");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (kpp::test::http_get(admin, "/ready", 500ms).status != 200) {
    if (!p.process->running() || std::chrono::steady_clock::now() > deadline) {
      print_failure("kafka-psc-proxy", *p.process);
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);  // polling /ready, bounded
  }
  p.bootstrap = loopback(bootstrap);
  p.raw_port = static_cast<std::uint16_t>(base + 1);
  return p;
}

std::optional<path> start_extra(const mock& m, const proxy_options& o) {
  if (o.extra_command.empty()) return std::nullopt;
  const auto mock_ports = m.ports();
  const std::uint16_t base = free_port_run(static_cast<int>(mock_ports.size()) + 1);
  std::vector<std::string> argv = o.extra_command;
  for (std::size_t i = 0; i < mock_ports.size(); ++i) {
    argv.push_back("--bootstrap-server-mapping");
    argv.push_back(loopback(mock_ports[i]) + "," + loopback(static_cast<std::uint16_t>(base + i)));
  }
  argv.push_back("--http-listen-address");
  argv.push_back(loopback(static_cast<std::uint16_t>(base + mock_ports.size())));
  path p;
  p.name = std::filesystem::path(o.extra_command.front()).filename().string();
  if (p.name == "kafka-psc-proxy") p.name = "ours-flags";
  // A Go proxy takes GOMAXPROCS; keep it to the same thread budget as the others.
  p.process =
      std::make_unique<child>(argv, temp_dir() + "/extra.log",
                              std::vector<std::string>{"GOMAXPROCS=" + std::to_string(o.threads)});
  for (std::size_t i = 0; i < mock_ports.size(); ++i) {
    if (!wait_port(static_cast<std::uint16_t>(base + i), 15s) || !p.process->running()) {
      print_failure(p.name.c_str(), *p.process);
      return std::nullopt;
    }
  }
  p.bootstrap = loopback(base);
  p.raw_port = base;
  return p;
}

double haproxy_frontend_bytes(const path& p) {
  if (p.stats_socket.empty()) return -1;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, p.stats_socket.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const char cmd[] = "show stat\n";
  [[maybe_unused]] auto sent = ::send(fd, cmd, sizeof cmd - 1, MSG_NOSIGNAL);
  std::string csv;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    csv.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  double total = 0;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    if (f.size() > 9 && f[1] == "FRONTEND")
      total += std::stod(f[8]) + std::stod(f[9]);  // bin, bout
  }
  return total;
}

rd_kafka_conf_t* client_conf(const path& p, client_ctx* opaque,
                             const std::vector<std::pair<std::string, std::string>>& settings) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error(k + "=" + v + ": " + err);
  };
  set("bootstrap.servers", p.bootstrap);
  set("log_level", "3");
  for (const auto& [k, v] : p.client_settings) set(k, v);
  for (const auto& [k, v] : settings) set(k, v);
  opaque->redirect = p.redirect;
  rd_kafka_conf_set_opaque(conf, opaque);
  if (p.redirect) rd_kafka_conf_set_connect_cb(conf, redirect_connect);
  return conf;
}

}  // namespace kpp::bench
