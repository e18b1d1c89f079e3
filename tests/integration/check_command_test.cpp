// `kafka-psc-proxy check` against kfake-broker, one case per thing it diagnoses, each with
// its exit status and the message an operator reads: all OK (before the proxy starts, and
// through a running one), a wrong bootstrap port, a broker that answers TLS, a SASL listener
// (its mechanisms listed), an advertised name that does not resolve, a port another process
// holds, and two replicas with different maps behind one HAProxy. With TLS listeners --through
// speaks TLS (handshake, notAfter, SAN coverage; a certificate the clients would not trust and
// one not covering the advertised name are findings), with routing: sni it probes the shared
// port under each broker's name, and upstream.sasl is used for the upstream probes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/haproxy.h"
#include "support/kfake.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;

struct check_run {
  int exit_code = -1;
  std::string output;
};

std::string write_temp(const std::string& name, const std::string& text) {
  static std::atomic<int> n{0};
  const auto path =
      std::filesystem::temp_directory_path() /
      ("kpp-check-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

check_run run_check(const std::string& yaml, std::vector<std::string> extra = {}) {
  const auto path = write_temp("config.yaml", yaml);
  std::vector<std::string> args{"check"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--config");
  args.push_back(path);
  proxy_process p(args);
  check_run r;
  r.exit_code = p.wait_exit(60s).value_or(-1);
  r.output = p.output();
  std::filesystem::remove(path);
  return r;
}

// A listening socket on ip:port, held until destroyed ("another process" on a proxy port).
class port_holder {
 public:
  port_holder(const char* ip, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 8) == 0;
  }
  ~port_holder() { ::close(fd_); }
  port_holder(const port_holder&) = delete;
  port_holder& operator=(const port_holder&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// A "broker" whose listener speaks TLS: it answers whatever arrives with a TLS alert record
// (what a TLS server sends a plaintext client), then closes.
class tls_speaker {
 public:
  tls_speaker() : fd_(listen_loopback(port_, "tls_speaker")) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[256];
        (void)::recv(c, buf, sizeof buf, 0);
        // TLS record: alert (0x15), TLS 1.2 (0x0303), length 2, fatal (2) unexpected_message (10)
        const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};
        (void)::send(c, alert, sizeof alert, MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~tls_speaker() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  tls_speaker(const tls_speaker&) = delete;
  tls_speaker& operator=(const tls_speaker&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_ = 0;
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// One replica behind the load balancer: binds `ip`, advertises 127.0.0.1 (where HAProxy
// listens) with the same ports. `static_ports` (node -> port) replaces the node-id policy.
std::string replica_yaml(const node_id_proxy& p, const std::string& ip,
                         const std::vector<std::pair<int, std::uint16_t>>& static_ports = {}) {
  std::string brokers;
  if (static_ports.empty()) {
    brokers = "  port_policy: node-id\n  base_port: " + std::to_string(p.base_port) +
              "\n  port_range: " + std::to_string(p.port_range) + "\n";
  } else {
    brokers = "  port_policy: static\n  static:\n";
    for (const auto& [node, port] : static_ports)
      brokers += "    - node_id: " + std::to_string(node) +
                 "\n      listen_port: " + std::to_string(port) + "\n";
  }
  return "listen: " + ip + "\nthreads: 1\nbootstrap:\n  servers: [" + p.upstream +
         "]\n  listeners:\n    - listen: " + ip + ":" + std::to_string(p.bootstrap_port) +
         "\n      advertised: 127.0.0.1:" + std::to_string(p.bootstrap_port) + "\nbrokers:\n" +
         brokers + "  listen_host: " + ip +
         "\n  advertised_host: 127.0.0.1\ndiscovery:\n  metadata_refresh: 1s\n"
         "admin:\n  address: 127.0.0.1:" +
         std::to_string(p.admin_port) + "\n";
}

class CheckCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    cluster_ = std::make_unique<kfake_cluster>();
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
  }
  // A node-id proxy for the kfake cluster (nodes 0..2), advertising 127.0.0.1.
  node_id_proxy setup() const { return node_id_proxy::for_cluster(cluster_->address(0), 2); }

  std::unique_ptr<kfake_cluster> cluster_;
};

TEST_F(CheckCommand, AllOkBeforeStartAndThroughTheRunningProxy) {
  auto p = setup();
  auto before = run_check(p.yaml());
  EXPECT_EQ(before.exit_code, 0) << before.output;
  EXPECT_NE(before.output.find("All checks passed."), std::string::npos) << before.output;
  EXPECT_NE(before.output.find("Broker map (port policy node-id)"), std::string::npos);
  auto json = run_check(p.yaml(), {"--json"});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  // The map, as the proxy serves it: node 1 -> kfake's port -> base_port + 1 -> 127.0.0.1.
  const auto port1 = "127.0.0.1:" + std::to_string(p.broker_port(1));
  EXPECT_NE(
      json.output.find(R"({"node":1,"upstream":")" + cluster_->address(1) + R"(","listen":")" +
                       port1 + R"(","advertised":")" + port1 + R"(","upstream_check":"OK"})"),
      std::string::npos)
      << json.output;
  EXPECT_NE(json.output.find(R"({"port":)" + std::to_string(p.broker_port(2)) +
                             R"(,"use":"broker 2","result":"free"})"),
            std::string::npos)
      << json.output;

  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();
  auto through = run_check(p.yaml(), {"--through", "127.0.0.1", "--json"});
  EXPECT_EQ(through.exit_code, 0) << through.output;
  EXPECT_NE(through.output.find(R"("ok":true,"exit_code":0)"), std::string::npos) << through.output;
  EXPECT_NE(
      through.output.find(R"x("use":"broker 1","result":"in use by the running proxy (ready)")x"),
      std::string::npos)
      << through.output;
  EXPECT_NE(through.output.find(R"({"port":)" + std::to_string(p.broker_port(2)) +
                                R"(,"expected":"broker 2","result":"OK","seen":"broker 2")"),
            std::string::npos)
      << through.output;
  // The hash check prints is the one the proxy exports.
  const auto metrics = http_get(p.admin_port, "/metrics").body;
  const auto hash_at = through.output.find(R"("map_hash":")");
  ASSERT_NE(hash_at, std::string::npos);
  const auto hash = std::stoull(through.output.substr(hash_at + 12, 13), nullptr, 16);
  EXPECT_NE(metrics.find("kafka_psc_proxy_broker_map_hash " + std::to_string(hash) + "\n"),
            std::string::npos)
      << "check's hash " << hash << "\n"
      << metrics;
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommand, WrongBootstrapPortIsRefused) {
  auto p = setup();
  p.upstream = "127.0.0.1:" + std::to_string(free_port());
  auto r = run_check(p.yaml());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("[bootstrap] bootstrap server " + p.upstream + ": refused"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("fix: nothing listens there: correct the host:port in "
                          "bootstrap.servers"),
            std::string::npos)
      << r.output;
}

TEST_F(CheckCommand, TlsOnTheBrokerSideIsATlsMismatch) {
  tls_speaker tls;
  auto p = setup();
  p.upstream = "127.0.0.1:" + std::to_string(tls.port()) + "," + cluster_->address(0);
  auto r = run_check(p.yaml());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(tls.port()) + ": TLS mismatch"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("fix: point bootstrap.servers at the broker's PLAINTEXT listener"),
            std::string::npos)
      << r.output;
  // The other bootstrap server still gives the map.
  EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(p.broker_port(2))), std::string::npos);
}

// A real TLS listener (kfake with a throwaway certificate) closes on a plaintext request
// without a word; check then sends a TLS ClientHello and sees a TLS answer.
TEST_F(CheckCommand, SilentTlsListenerIsFoundByItsHandshake) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kpp-check-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::filesystem::remove_all(dir);
    FAIL() << "openssl could not make a test certificate: " << cmd;
  }
  kfake_options opts;
  opts.brokers = 1;
  opts.extra_args = {"-tls-cert", cert, "-tls-key", key};
  kfake_cluster tls(opts);
  ASSERT_TRUE(tls.ok()) << tls.output();
  auto p = setup();
  p.upstream = tls.address(0);
  auto r = run_check(p.yaml());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(tls.address(0) + ": TLS mismatch (ApiVersions: closed without "
                                           "answering, and it answers a TLS ClientHello"),
            std::string::npos)
      << r.output;
}

TEST_F(CheckCommand, SaslListenerListsItsMechanisms) {
  kfake_options opts;
  opts.brokers = 1;
  opts.extra_args = {"-sasl", "PLAIN:u:p", "-sasl", "SCRAM-SHA-256:u:p"};
  kfake_cluster sasl(opts);
  ASSERT_TRUE(sasl.ok()) << sasl.output();
  auto p = setup();
  p.upstream = sasl.address(0);
  auto r = run_check(p.yaml());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(sasl.address(0) + ": SASL required"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("PLAIN"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("SCRAM-SHA-256"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fix: the proxy has no SASL login of its own (pass-through: clients "
                          "log in through it, and that works), so neither check nor discovery can "
                          "list the brokers: set discovery.sasl"),
            std::string::npos)
      << r.output;
}

// Pass-through SASL with discovery.sasl: check logs in as discovery does and verifies the map.
TEST_F(CheckCommand, SaslListenerWithDiscoverySaslIsVerified) {
  kfake_options opts;
  opts.brokers = 2;
  opts.extra_args = {"-sasl", "SCRAM-SHA-512:u:p"};
  kfake_cluster sasl(opts);
  ASSERT_TRUE(sasl.ok()) << sasl.output();
  const auto pw = write_temp("discovery-password", "p\n");
  ::chmod(pw.c_str(), 0600);
  auto p = node_id_proxy::for_cluster(sasl.address(0), 1);
  auto yaml = p.yaml();
  const std::string setup_discovery = "discovery:\n  metadata_refresh: 1s\n";
  const auto at = yaml.find(setup_discovery);
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, setup_discovery.size(),
               "discovery:\n  sasl:\n    mechanism: SCRAM-SHA-512\n    username: u\n"
               "    password_file: " +
                   pw + "\n");
  auto r = run_check(yaml);
  std::filesystem::remove(pw);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("SASL required"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("All checks passed."), std::string::npos) << r.output;
}

TEST_F(CheckCommand, AdvertisedNameThatDoesNotResolve) {
  auto p = setup();
  p.advertised_host = "b{node_id}.kpp-check.invalid";
  // Through loopback, where nothing listens yet: refused at once, and the records name it.
  auto r = run_check(p.yaml(), {"--through", "127.0.0.1"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("b1.kpp-check.invalid (broker 1) does not resolve"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("b1.kpp-check.invalid. 300 IN A 127.0.0.1"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("*.kpp-check.invalid. 300 IN A 127.0.0.1"), std::string::npos)
      << r.output;
}

TEST_F(CheckCommand, PortTakenByAnotherProcess) {
  auto p = setup();
  port_holder other("127.0.0.1", p.broker_port(1));
  ASSERT_TRUE(other.ok());
  auto r = run_check(p.yaml());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("port " + std::to_string(p.broker_port(1)) +
                          " (broker 1) is in use by another process"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ss -ltnp 'sport = :" + std::to_string(p.broker_port(1)) + "'"),
            std::string::npos)
      << r.output;
}

TEST_F(CheckCommand, ReplicasWithDifferentMapsBehindOneLoadBalancer) {
  const auto haproxy = haproxy_binary();
  KPP_REQUIRE_TOOL(!haproxy.empty(), "haproxy", "apt-get install haproxy");
  // Both replicas bind the same ports (127.0.0.2 and .3) and advertise 127.0.0.1, where
  // HAProxy listens. A serves node N on base + N; B swaps nodes 0 and 1 (a static map).
  const auto a = setup();
  auto b = a;
  b.admin_port = free_port();
  const auto yaml_a = replica_yaml(a, "127.0.0.2");
  const auto yaml_b = replica_yaml(
      b, "127.0.0.3", {{0, a.broker_port(1)}, {1, a.broker_port(0)}, {2, a.broker_port(2)}});
  auto replica_a = proxy_process::with_yaml(yaml_a);
  auto replica_b = proxy_process::with_yaml(yaml_b);
  ASSERT_TRUE(replica_a.wait_ready(a.admin_port)) << replica_a.output();
  ASSERT_TRUE(replica_b.wait_ready(b.admin_port)) << replica_b.output();

  // `balance first`: every connection goes to B while it is up, so what check sees at each
  // port is decided, not drawn.
  std::string cfg =
      "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 30s\n"
      "  timeout server 30s\n";
  std::vector<std::uint16_t> ports{a.bootstrap_port};
  for (int id = 0; id <= 2; ++id) ports.push_back(a.broker_port(id));
  for (auto port : ports) {
    const auto s = std::to_string(port);
    cfg += "listen l_" + s + "\n  bind 127.0.0.1:" + s + "\n  balance first\n" +
           "  server b 127.0.0.3:" + s + "\n  server a 127.0.0.2:" + s + "\n";
  }
  haproxy_process lb(haproxy, cfg);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!accepts(ports.back()) && lb.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(25ms);
  ASSERT_TRUE(accepts(ports.back())) << lb.output();

  auto r = run_check(yaml_a, {"--through", "127.0.0.1", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("at 127.0.0.1:" + std::to_string(a.broker_port(0)) +
                          " the proxy that answered maps broker 1 to that port; this config "
                          "maps broker 0 there"),
            std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find(R"({"port":)" + std::to_string(a.broker_port(0)) +
                    R"(,"expected":"broker 0","result":"wrong broker answered","seen":"broker 1")"),
      std::string::npos)
      << r.output;
  // Broker 2 sits on the same port in both maps: the right broker answers there, but the map
  // it hands out is B's, and check says so.
  EXPECT_NE(r.output.find(R"({"port":)" + std::to_string(a.broker_port(2)) +
                          R"(,"expected":"broker 2","result":"map differs","seen":"broker 2")"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(replica_a.stop(), 0);
  EXPECT_EQ(replica_b.stop(), 0);
}

// A proxy with TLS listeners (the kfake cluster behind it is plaintext): the config's own
// certificate, for localhost and 127.0.0.1.
class CheckCommandTls : public CheckCommand {
 protected:
  void SetUp() override {
    CheckCommand::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    KPP_REQUIRE_TOOL(run_quietly("openssl version"), "openssl", "apt-get install openssl");
    ASSERT_TRUE(certs_.ok());
    ASSERT_TRUE(certs_.make_ca("ca"));
    ASSERT_TRUE(certs_.make_ca("other-ca"));
  }
  [[nodiscard]] std::string tls_yaml(const std::string& cert) const {
    return "tls:\n  cert_file: " + certs_.path(cert + ".pem") +
           "\n  key_file: " + certs_.path(cert + ".key") + "\n  refresh: 0s\n";
  }
  cert_dir certs_;
};

TEST_F(CheckCommandTls, ThroughSpeaksTlsToTlsListenersAndReportsTheCertificate) {
  ASSERT_TRUE(certs_.make_server("ca", "server", 11));
  auto p = setup();
  p.extra_yaml = tls_yaml("server");
  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();

  auto r = run_check(p.yaml(), {"--through", "127.0.0.1", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // Every listener: the TLS handshake, the notAfter of the certificate it presented, and the
  // advertised name (127.0.0.1) in its SAN; then ApiVersions + Metadata inside TLS.
  for (const auto& [port, who] :
       std::vector<std::pair<std::uint16_t, std::string>>{{p.bootstrap_port, "bootstrap"},
                                                          {p.broker_port(0), "broker 0"},
                                                          {p.broker_port(2), "broker 2"}}) {
    const auto at = r.output.find(R"({"port":)" + std::to_string(port) + R"(,"expected":")" + who +
                                  R"(","result":"OK")");
    ASSERT_NE(at, std::string::npos) << who << "\n" << r.output;
    const auto row = r.output.substr(at, r.output.find('}', at) - at);
    EXPECT_NE(row.find(R"("tls":"OK","not_after":"20)"), std::string::npos) << row;
    EXPECT_NE(row.find(R"("san":"covers 127.0.0.1")"), std::string::npos) << row;
  }
  // The table says the same for people.
  auto table = run_check(p.yaml(), {"--through", "127.0.0.1"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("TLS listeners: the advertised name as SNI"), std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("covers 127.0.0.1"), std::string::npos) << table.output;
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommandTls, ACertificateNotCoveringTheAdvertisedNameIsAFinding) {
  // The listener certificate holds localhost only; clients are told 127.0.0.1.
  ASSERT_TRUE(certs_.make_server("ca", "server", 12, "DNS:localhost"));
  auto p = setup();
  p.extra_yaml = tls_yaml("server");
  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();

  auto r = run_check(p.yaml(), {"--through", "127.0.0.1", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(R"({"port":)" + std::to_string(p.broker_port(1)) +
                          R"(,"expected":"broker 1","result":"OK","seen":"broker 1","tls":"OK")"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(R"("san":"NOT 127.0.0.1")"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the certificate presented for broker 1 at 127.0.0.1:" +
                          std::to_string(p.broker_port(1)) +
                          R"( does not cover \"127.0.0.1\", which clients are told to connect to)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(R"(add \"127.0.0.1\" to the certificate's SAN (tls.cert_file))"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommandTls, ACertificateTheClientsWouldNotTrustFailsTheHandshake) {
  // The running proxy serves a certificate of another CA than the one this config names (a
  // replica left with old files): a client trusting the configured chain refuses it.
  ASSERT_TRUE(certs_.make_server("other-ca", "served", 13));
  ASSERT_TRUE(certs_.make_server("ca", "configured", 14));
  auto p = setup();
  p.extra_yaml = tls_yaml("served");
  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();
  auto checked = p;
  checked.extra_yaml = tls_yaml("configured");

  auto r = run_check(checked.yaml(), {"--through", "127.0.0.1", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(R"({"port":)" + std::to_string(p.broker_port(0)) +
                          R"(,"expected":"broker 0","result":"TLS failed","seen":"-","tls":)"
                          R"("failed","not_after":"-","san":"-","detail":"TLS handshake: )"),
            std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find("broker 0 at 127.0.0.1:" + std::to_string(p.broker_port(0)) + ": TLS failed"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("is not the one the config names"), std::string::npos) << r.output;
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommandTls, AListenerRequiringClientCertificatesIsCheckedUpToTheHandshake) {
  ASSERT_TRUE(certs_.make_server("ca", "server", 16));
  auto p = setup();
  p.extra_yaml = tls_yaml("server") + "  client_ca_file: " + certs_.path("ca.pem") +
                 "\n  client_auth: require\n";
  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();

  auto r = run_check(p.yaml(), {"--through", "127.0.0.1", "--json"});
  // The certificate checks hold; the refusal that follows for want of a client certificate is
  // what the listener is configured to do, not a finding.
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"({"port":)" + std::to_string(p.broker_port(1)) +
                          R"(,"expected":"broker 1","result":"not checked","seen":"-","tls":"OK",)"
                          R"("not_after":"20)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(R"("san":"covers 127.0.0.1","detail":"client_auth: require)"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommandTls, RoutingSniIsProbedUnderEachBrokersNameOnTheSharedPort) {
  ASSERT_TRUE(certs_.make_server("ca", "server", 15, "DNS:*.kpp.test,IP:127.0.0.1"));
  const auto port = free_port();
  const auto admin = free_port();
  const std::string yaml =
      "listen: 127.0.0.1\nthreads: 1\nbootstrap:\n  servers: [" + cluster_->address(0) +
      "]\nbrokers:\n  advertised_host: b{node_id}.kpp.test\nrouting: sni\nsni:\n  listen: "
      "127.0.0.1:" +
      std::to_string(port) +
      "\n  bootstrap_host: boot.kpp.test\ndiscovery:\n  metadata_refresh: 1s\nadmin:\n  address: "
      "127.0.0.1:" +
      std::to_string(admin) + "\n" + tls_yaml("server");
  auto proxy = proxy_process::with_yaml(yaml);
  ASSERT_TRUE(proxy.wait_ready(admin)) << proxy.output();

  auto r = run_check(yaml, {"--through", "127.0.0.1", "--json"});
  // *.kpp.test resolves nowhere from here (a names finding); the path through is clean.
  EXPECT_EQ(r.output.find(R"("section":"through")"), std::string::npos) << r.output;
  const auto p = std::to_string(port);
  EXPECT_NE(r.output.find(R"({"port":)" + p +
                          R"(,"expected":"bootstrap","name":"boot.kpp.test","result":"OK",)"
                          R"("seen":"none","tls":"OK","not_after":"20)"),
            std::string::npos)
      << r.output;
  for (int node = 0; node <= 2; ++node) {
    const auto name = "b" + std::to_string(node) + ".kpp.test";
    const auto at = r.output.find(
        R"({"port":)" + p + R"(,"expected":"broker )" + std::to_string(node) + R"(","name":")" +
        name + R"(","result":"OK","seen":"broker )" + std::to_string(node) + R"(","tls":"OK")");
    ASSERT_NE(at, std::string::npos) << name << "\n" << r.output;
    const auto row = r.output.substr(at, r.output.find('}', at) - at);
    EXPECT_NE(row.find(R"("san":"covers )" + name + "\""), std::string::npos) << row;
  }
  EXPECT_EQ(proxy.stop(), 0);
}

TEST_F(CheckCommand, UpstreamSaslIsUsedForTheUpstreamProbes) {
  // The broker listeners require SASL; with upstream.sasl the check logs in as the proxy
  // does (the same dialer), and a wrong password is a login failure, not "SASL required".
  kfake_options opts;
  opts.extra_args = {"-sasl", "PLAIN:proxy:secret"};
  kfake_cluster sasl(opts);
  ASSERT_TRUE(sasl.ok()) << sasl.output();
  auto p = node_id_proxy::for_cluster(sasl.address(0), 2);
  std::vector<std::string> files;
  auto password_file = [&files](const std::string& password) {
    const auto path = write_temp("password", password);
    files.push_back(path);
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  };
  const auto sasl_yaml = [&](const std::string& password) {
    return "upstream:\n  sasl:\n    mechanism: PLAIN\n    username: proxy\n    password_file: " +
           password_file(password) + "\n";
  };
  p.extra_yaml = sasl_yaml("secret");
  auto ok = run_check(p.yaml());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("All checks passed."), std::string::npos) << ok.output;
  p.extra_yaml = sasl_yaml("wrong");
  auto bad = run_check(p.yaml());
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find(sasl.address(0) + ": SASL login failed"), std::string::npos)
      << bad.output;
  for (const auto& f : files) std::filesystem::remove(f);
}

}  // namespace
}  // namespace kpp::test
