// TCP keepalive on both of the proxy's sockets of a session (the client side it accepted and
// the upstream side it dialed), seen from outside with `ss -tnop` (the kernel's keepalive
// timer is the only outside view of SO_KEEPALIVE/TCP_KEEPIDLE), from YAML and from flags; and
// the idle timeout: closes an idle connection, spares one with a request in flight, is off by
// default; the read timeout: closes a connection whose broker owes an answer and says nothing,
// and never counts idle time. Behind a PSC/NAT an idle connection is silently dropped after ~10
// minutes, which is why keepalive is on by default.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/optional_tools.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

// One established TCP socket as `ss -tnop` shows it.
struct ss_socket {
  int local_port = 0;
  int peer_port = 0;
  int pid = 0;
  std::string timer_kind;  // "keepalive", "on", ... empty when no timer
  double timer_seconds = -1;
};

// ss prints a timer as [Nmin][N(sec|.)][NNNms]: "1min", "59sec", "6.932ms" (6.932 s), "932ms".
double parse_ss_duration(const std::string& text) {
  static const std::regex re(R"(^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return -1;
  double s = 0;
  if (m[1].matched) s += 60.0 * std::stoi(m[1]);
  if (m[2].matched) s += std::stoi(m[2]);
  if (m[3].matched) s += std::stoi(m[3]) / 1000.0;
  return s;
}

std::optional<std::string> run_command(const std::string& cmd) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return std::nullopt;
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  if (::pclose(f) != 0) return std::nullopt;
  return out;
}

bool have_ss() {
  return run_command("ss -V >/dev/null 2>&1").has_value();
}

std::vector<ss_socket> established_sockets_of(pid_t pid) {
  std::vector<ss_socket> out;
  const auto text = run_command("ss -tnop state established 2>/dev/null");
  if (!text) return out;
  static const std::regex line_re(
      R"(\S+:(\d+)\s+\S+:(\d+)\s+users:\(\(\"[^"]*\",pid=(\d+),fd=\d+\)[^ ]*(?:\s+timer:\((\w+),([^,]+),\d+\))?)");
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, line_re)) continue;
    ss_socket s;
    s.local_port = std::stoi(m[1]);
    s.peer_port = std::stoi(m[2]);
    s.pid = std::stoi(m[3]);
    if (m[4].matched) {
      s.timer_kind = m[4];
      s.timer_seconds = parse_ss_duration(m[5]);
    }
    if (s.pid == pid) out.push_back(s);
  }
  return out;
}

// The proxy's two sockets of one session: the accepted one (local port = listener port) and
// the dialed one (peer port = an upstream broker port).
struct session_sockets {
  std::optional<ss_socket> client_side;
  std::optional<ss_socket> upstream_side;
};

session_sockets find_session_sockets(pid_t pid, std::uint16_t listen_port,
                                     const std::set<int>& upstream_ports) {
  session_sockets out;
  for (const auto& s : established_sockets_of(pid)) {
    if (s.local_port == listen_port) out.client_side = s;
    if (upstream_ports.contains(s.peer_port)) out.upstream_side = s;
  }
  return out;
}

std::set<int> mock_ports(const mock_cluster& mock) {
  std::set<int> ports;
  for (const auto& a : mock.broker_addresses()) ports.insert(std::stoi(a.substr(a.rfind(':') + 1)));
  return ports;
}

std::string describe(const std::optional<ss_socket>& s) {
  if (!s) return "(no socket)";
  return std::to_string(s->local_port) + "->" + std::to_string(s->peer_port) + " timer=" +
         (s->timer_kind.empty() ? "none" : s->timer_kind + "," + std::to_string(s->timer_seconds));
}

bool api_versions_round_trip(raw_client& c, std::int32_t corr) {
  if (!c.send(request_frame(18, 0, corr))) return false;
  auto reply = c.read_frame();
  return reply && reply->size() >= 6 && get_i32(*reply, 0) == corr && get_i16(*reply, 4) == 0;
}

// Opens a session through `port` (one round trip, so the upstream side exists too) and
// returns the proxy's two sockets of it. The client stays connected while `c` lives.
session_sockets open_session(proxy_process& proxy, raw_client& c, std::uint16_t port,
                             const std::set<int>& upstream_ports) {
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(api_versions_round_trip(c, 1)) << proxy.output();
  return find_session_sockets(proxy.pid(), port, upstream_ports);
}

// Keepalive timer on both sides, at most `idle` seconds and more than `min` (the timer
// counts down from TCP_KEEPIDLE since the last packet).
void expect_keepalive(const session_sockets& s, double min, double idle) {
  for (const auto* side : {&s.client_side, &s.upstream_side}) {
    const char* name = side == &s.client_side ? "client side" : "upstream side";
    ASSERT_TRUE(side->has_value()) << name << " socket not found by ss";
    std::cout << name << ": " << describe(*side) << "\n";
    EXPECT_EQ((*side)->timer_kind, "keepalive") << name << " " << describe(*side);
    EXPECT_GT((*side)->timer_seconds, min) << name << " " << describe(*side);
    EXPECT_LE((*side)->timer_seconds, idle) << name << " " << describe(*side);
  }
}

void expect_no_keepalive(const session_sockets& s) {
  for (const auto* side : {&s.client_side, &s.upstream_side}) {
    const char* name = side == &s.client_side ? "client side" : "upstream side";
    ASSERT_TRUE(side->has_value()) << name << " socket not found by ss";
    std::cout << name << ": " << describe(*side) << "\n";
    EXPECT_NE((*side)->timer_kind, "keepalive") << name << " " << describe(*side);
  }
}

// A YAML proxy in front of the mock; discovery refreshes rarely, so no discovery socket
// (which carries no keepalive and is not a session) is open while ss looks.
struct yaml_proxy {
  node_id_proxy setup;
  std::optional<proxy_process> process;

  yaml_proxy(const mock_cluster& mock, const std::string& extra) {
    setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
    setup.extra_yaml = extra;
    auto yaml = setup.yaml();
    yaml.replace(yaml.find("metadata_refresh: 1s"), 20, "metadata_refresh: 60s");
    process.emplace(proxy_process::with_yaml(yaml));
  }
  ~yaml_proxy() {
    if (process) {
      EXPECT_EQ(process->stop(), 0) << process->output();
    }
  }
  bool ready() { return process->wait_ready(setup.admin_port); }
};

#define SKIP_WITHOUT_SS()                                                                        \
  do {                                                                                           \
    KPP_REQUIRE_TOOL(have_ss(), "ss", "apt-get install iproute2 (to see TCP keepalive timers)"); \
  } while (0)

class Keepalive : public ::testing::Test {
 protected:
  mock_cluster mock_{3};
};

TEST_F(Keepalive, DefaultIsOnWithIdle60sOnBothSides) {
  SKIP_WITHOUT_SS();
  yaml_proxy p(mock_, "");
  ASSERT_TRUE(p.ready()) << p.process->output();
  raw_client c(p.setup.bootstrap_port);
  const auto s = open_session(*p.process, c, p.setup.bootstrap_port, mock_ports(mock_));
  expect_keepalive(s, 50, 60);
  const auto info = http_get(p.setup.admin_port, "/metrics").body;
  EXPECT_NE(info.find("keepalive_info{enabled=\"true\",idle_seconds=\"60\",interval_seconds=\"10\","
                      "count=\"6\"} 1"),
            std::string::npos)
      << info;
}

TEST_F(Keepalive, YamlIdle7sShowsA7sTimer) {
  SKIP_WITHOUT_SS();
  yaml_proxy p(mock_, "keepalive:\n  idle: 7s\n  interval: 3s\n  count: 4\n");
  ASSERT_TRUE(p.ready()) << p.process->output();
  raw_client c(p.setup.bootstrap_port);
  const auto s = open_session(*p.process, c, p.setup.bootstrap_port, mock_ports(mock_));
  expect_keepalive(s, 0, 7);
  // Interval and count are not visible in ss's timer; the info metric reports what was set.
  const auto info = http_get(p.setup.admin_port, "/metrics").body;
  EXPECT_NE(info.find("idle_seconds=\"7\",interval_seconds=\"3\",count=\"4\""), std::string::npos)
      << info;
}

TEST_F(Keepalive, YamlDisabledShowsNoKeepaliveTimer) {
  SKIP_WITHOUT_SS();
  yaml_proxy p(mock_, "keepalive:\n  enabled: false\n");
  ASSERT_TRUE(p.ready()) << p.process->output();
  raw_client c(p.setup.bootstrap_port);
  const auto s = open_session(*p.process, c, p.setup.bootstrap_port, mock_ports(mock_));
  expect_no_keepalive(s);
}

// The `server` flags (config/flags.md "Our own flags" and grepplabs --kafka-keep-alive).
class KeepaliveFlags : public Keepalive {
 protected:
  void start(std::vector<std::string> extra) {
    listen_ = free_port();
    admin_ = free_port();
    std::vector<std::string> args{
        "server",
        "--bootstrap-server-mapping",
        mock_.broker_addresses().at(0) + ",127.0.0.1:" + std::to_string(listen_),
        "--http-listen-address",
        "127.0.0.1:" + std::to_string(admin_),
        "--metadata-refresh",
        "60s"};
    args.insert(args.end(), extra.begin(), extra.end());
    proxy_.emplace(std::move(args));
    ASSERT_TRUE(proxy_->wait_ready(admin_)) << proxy_->output();
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }
  std::uint16_t listen_ = 0;
  std::uint16_t admin_ = 0;
  std::optional<proxy_process> proxy_;
};

TEST_F(KeepaliveFlags, KeepaliveIdleFlag) {
  SKIP_WITHOUT_SS();
  start({"--keepalive-idle", "9s", "--keepalive-interval", "2s", "--keepalive-count", "3"});
  raw_client c(listen_);
  const auto s = open_session(*proxy_, c, listen_, mock_ports(mock_));
  expect_keepalive(s, 0, 9);
  EXPECT_NE(http_get(admin_, "/metrics")
                .body.find("idle_seconds=\"9\",interval_seconds=\"2\",count=\"3\""),
            std::string::npos);
}

TEST_F(KeepaliveFlags, GrepplabsKafkaKeepAliveFlag) {
  SKIP_WITHOUT_SS();
  start({"--kafka-keep-alive", "11s"});
  raw_client c(listen_);
  const auto s = open_session(*proxy_, c, listen_, mock_ports(mock_));
  expect_keepalive(s, 0, 11);
}

TEST_F(KeepaliveFlags, KeepaliveDisableFlag) {
  SKIP_WITHOUT_SS();
  start({"--keepalive-disable"});
  raw_client c(listen_);
  const auto s = open_session(*proxy_, c, listen_, mock_ports(mock_));
  expect_no_keepalive(s);
}

TEST_F(KeepaliveFlags, GrepplabsKafkaKeepAliveZeroDisables) {
  SKIP_WITHOUT_SS();
  start({"--kafka-keep-alive", "0"});
  raw_client c(listen_);
  const auto s = open_session(*proxy_, c, listen_, mock_ports(mock_));
  expect_no_keepalive(s);
}

// ---- idle timeout ------------------------------------------------------------------------

class IdleTimeout : public ::testing::Test {
 protected:
  mock_cluster mock_{3};
};

TEST_F(IdleTimeout, IdleClientConnectionIsClosedAndCounted) {
  yaml_proxy p(mock_, "timeouts:\n  idle: 300ms\n");
  ASSERT_TRUE(p.ready()) << p.process->output();
  const auto series = protocol_errors_series("idle_timeout");
  const auto before = scrape(p.setup.admin_port, series).value_or(-1);
  raw_client c(p.setup.bootstrap_port);
  ASSERT_TRUE(api_versions_round_trip(c, 1));
  EXPECT_TRUE(c.closed_by_peer(5s)) << "an idle connection outlived timeouts.idle 300ms";
  ASSERT_TRUE(p.process->wait_for_output("(timeouts.idle)", 5s)) << p.process->output();
  std::cout << "[idle_timeout] proxy log: "
            << lines_containing(p.process->output(), "(timeouts.idle)").front() << "\n";
  EXPECT_EQ(scrape(p.setup.admin_port, series).value_or(-1), before + 1);
  EXPECT_GE(
      scrape(p.setup.admin_port, "kafka_psc_proxy_sessions_closed_total{reason=\"idle_timeout\"}")
          .value_or(-1),
      1);
}

// A client that connects and never says a word is as idle as one that stopped talking (a TCP
// health check or port scanner that holds the socket open): timeouts.idle closes it too.
TEST_F(IdleTimeout, SilentClientConnectionIsClosed) {
  yaml_proxy p(mock_, "timeouts:\n  idle: 300ms\n");
  ASSERT_TRUE(p.ready()) << p.process->output();
  raw_client c(p.setup.bootstrap_port);
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.closed_by_peer(5s)) << "a connection that never spoke outlived timeouts.idle";
}

TEST_F(IdleTimeout, OffByDefault) {
  yaml_proxy p(mock_, "");
  ASSERT_TRUE(p.ready()) << p.process->output();
  raw_client c(p.setup.bootstrap_port);
  ASSERT_TRUE(api_versions_round_trip(c, 1));
  EXPECT_FALSE(c.closed_by_peer(1200ms)) << "closed with no idle timeout configured";
  EXPECT_TRUE(api_versions_round_trip(c, 2));
}

// An upstream that reads requests and answers only when the test says so: the one way to
// hold a request in flight for as long as we like.
class silent_broker {
 public:
  silent_broker() {
    listen_fd_ = listen_loopback(port_, "silent broker");
    thread_ = std::thread([this] { loop(); });
  }
  ~silent_broker() {
    stop_ = true;
    thread_.join();
    for (const auto& [fd, corr] : conns_) ::close(fd);
    ::close(listen_fd_);
  }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // True while an ApiVersions request with this correlation id waits for its answer.
  [[nodiscard]] bool holding(std::int32_t correlation_id) {
    std::lock_guard lock(mu_);
    return std::any_of(conns_.begin(), conns_.end(),
                       [&](const auto& c) { return c.second == correlation_id; });
  }
  // Answers every pending ApiVersions request (v0, empty key list).
  void answer_all() {
    std::lock_guard lock(mu_);
    for (auto& [fd, corr] : conns_) {
      if (corr < 0) continue;
      bytes p;
      put_i32(p, corr);
      put_i16(p, 0);
      put_i32(p, 0);
      bytes f;
      put_i32(f, static_cast<std::int32_t>(p.size()));
      f.insert(f.end(), p.begin(), p.end());
      (void)::send(fd, f.data(), f.size(), MSG_NOSIGNAL);
      corr = -1;
    }
  }

 private:
  void loop() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      {
        std::lock_guard lock(mu_);
        for (const auto& [fd, corr] : conns_) fds.push_back({fd, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      std::lock_guard lock(mu_);
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conns_.emplace_back(fd, -1);
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        std::uint8_t buf[4096];
        const auto n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        auto it = std::find_if(conns_.begin(), conns_.end(),
                               [&](const auto& c) { return c.first == fds[i].fd; });
        if (n <= 0) {
          ::close(it->first);
          conns_.erase(it);
          continue;
        }
        // One small request per read is all this test sends; its correlation id is at 8..12.
        if (n >= 12 && buf[5] == 18) {
          bytes b(buf, buf + n);
          it->second = get_i32(b, 8);
        }
      }
    }
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::pair<int, std::int32_t>> conns_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(IdleTimeout, RequestInFlightIsNotAnIdleConnection) {
  silent_broker upstream;
  const auto listen = free_port();
  const auto admin = free_port();
  proxy_process proxy({"server", "--bootstrap-server-mapping",
                       upstream.address() + ",127.0.0.1:" + std::to_string(listen),
                       "--http-listen-address", "127.0.0.1:" + std::to_string(admin),
                       "--idle-timeout", "300ms", "--metadata-refresh", "60s"});
  // Discovery cannot succeed against this upstream: wait for the listener, not /ready.
  ASSERT_TRUE(proxy.wait_for_output("bootstrap listener on")) << proxy.output();
  const auto idle_before = lines_containing(proxy.output(), "(timeouts.idle)").size();

  raw_client c(listen);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(18, 0, 77)));
  // The proxy's discovery also talks to this upstream (with its own correlation ids): wait
  // for ours to be held.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!upstream.holding(77) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(upstream.holding(77));
  // Five idle periods with the request unanswered: the session must stay.
  EXPECT_FALSE(c.closed_by_peer(1500ms)) << "closed with a request in flight\n" << proxy.output();
  upstream.answer_all();
  auto reply = c.read_frame();
  ASSERT_TRUE(reply) << proxy.output();
  EXPECT_EQ(get_i32(*reply, 0), 77);
  // Answered, so now idle: closed.
  EXPECT_TRUE(c.closed_by_peer(5s));
  EXPECT_TRUE(proxy.wait_for_output("(timeouts.idle)", 5s));
  EXPECT_EQ(lines_containing(proxy.output(), "(timeouts.idle)").size(), idle_before + 1);
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// ---- read timeout (timeouts.read, grepplabs --kafka-read-timeout) ----------------------------

class ReadTimeout : public ::testing::Test {
 protected:
  // The proxy in front of `upstream` with a 400 ms read timeout, from the grepplabs flag.
  proxy_process start(const silent_broker& upstream) {
    listen_ = free_port();
    admin_ = free_port();
    return proxy_process({"server", "--bootstrap-server-mapping",
                          upstream.address() + ",127.0.0.1:" + std::to_string(listen_),
                          "--http-listen-address", "127.0.0.1:" + std::to_string(admin_),
                          "--kafka-read-timeout", "400ms", "--metadata-refresh", "60s"});
  }
  // Sends ApiVersions with this correlation id and waits until the broker holds it.
  static bool send_held(raw_client& c, silent_broker& upstream, std::int32_t corr) {
    if (!c.send(request_frame(18, 0, corr))) return false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!upstream.holding(corr) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return upstream.holding(corr);
  }
  std::uint16_t listen_ = 0;
  std::uint16_t admin_ = 0;
};

TEST_F(ReadTimeout, ABrokerThatNeverAnswersIsCutOffWithOneLine) {
  silent_broker upstream;
  auto proxy = start(upstream);
  ASSERT_TRUE(proxy.wait_for_output("bootstrap listener on")) << proxy.output();
  const auto series = "kafka_psc_proxy_sessions_closed_total{reason=\"upstream_io_error\"}";
  const auto before = scrape(admin_, series).value_or(-1);
  raw_client c(listen_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(send_held(c, upstream, 77));
  EXPECT_TRUE(c.closed_by_peer(5s)) << "an unanswered request outlived timeouts.read 400ms";
  ASSERT_TRUE(proxy.wait_for_output("timeouts.read:", 5s)) << proxy.output();
  const auto lines = lines_containing(proxy.output(), "timeouts.read:");
  EXPECT_EQ(lines.size(), 1u) << proxy.output();
  std::cout << "[read_timeout] proxy log: " << lines.front() << "\n";
  EXPECT_NE(lines.front().find("owed an answer (1 request(s) in flight"), std::string::npos);
  EXPECT_EQ(scrape(admin_, series).value_or(-1), before + 1);
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

TEST_F(ReadTimeout, IdleTimeAndPromptAnswersDoNotCount) {
  silent_broker upstream;
  auto proxy = start(upstream);
  ASSERT_TRUE(proxy.wait_for_output("bootstrap listener on")) << proxy.output();
  raw_client c(listen_);
  ASSERT_TRUE(c.connected());
  for (const std::int32_t corr : {81, 82, 83}) {
    ASSERT_TRUE(send_held(c, upstream, corr)) << proxy.output();
    upstream.answer_all();
    auto reply = c.read_frame();
    ASSERT_TRUE(reply) << "request " << corr << " was cut off\n" << proxy.output();
    EXPECT_EQ(get_i32(*reply, 0), corr);
    // Three read timeouts with nothing owed: an idle connection stays.
    EXPECT_FALSE(c.closed_by_peer(1200ms)) << "closed while nothing was owed\n" << proxy.output();
  }
  EXPECT_TRUE(lines_containing(proxy.output(), "timeouts.read:").empty()) << proxy.output();
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
