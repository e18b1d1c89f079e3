// PROXY protocol on the client side, as a PSC service attachment (or HAProxy) sends it:
// hand-built v1 and v2 headers (the v2 one with Google's PSC connection-id TLV), a truncated
// header, no header at all, an untrusted sender, and HAProxy as a real sender. The admin port
// never expects a header.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>
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

bytes text_bytes(const std::string& s) {
  return bytes(s.begin(), s.end());
}

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// v2 PROXY header, TCP over IPv4, with Google's PSC TLV (type 0xE0, 8-byte big-endian id).
bytes proxy_v2_psc(std::uint64_t psc_id) {
  bytes h{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  h.push_back(0x21);                         // version 2, command PROXY
  h.push_back(0x11);                         // AF_INET, STREAM
  bytes rest{192, 0, 2, 10, 192, 0, 2, 20};  // source, destination
  put_i16(rest, 5556);
  put_i16(rest, 9092);
  rest.push_back(0xE0);
  put_i16(rest, 8);
  for (int shift = 56; shift >= 0; shift -= 8)
    rest.push_back(static_cast<std::uint8_t>(psc_id >> shift));
  put_i16(h, static_cast<std::int16_t>(rest.size()));
  return concat(h, rest);
}

const std::string v1_header = "PROXY TCP4 192.0.2.10 192.0.2.20 5555 9092\r\n";

bool api_versions_answer_ok(raw_client& c, std::int32_t corr) {
  auto reply = c.read_frame();
  return reply && reply->size() >= 6 && get_i32(*reply, 0) == corr && get_i16(*reply, 4) == 0;
}

bool wait_metric(std::uint16_t admin_port, const std::string& series, double at_least) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (scrape(admin_port, series).value_or(-1) >= at_least) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::string pp_yaml(node_id_proxy& setup, const std::string& allowed) {
  setup.extra_yaml = "proxy_protocol:\n  enabled: true\n  allowed_sources: [" + allowed +
                     "]\n  header_timeout: 500ms\n";
  auto yaml = setup.yaml();
  yaml.replace(yaml.find("level: info"), 11, "level: debug");
  return yaml;
}

class ProxyProtocol : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new mock_cluster(3);
    setup_ = new node_id_proxy(node_id_proxy::for_cluster(mock_->bootstraps(), 3));
    proxy_ = new proxy_process(proxy_process::with_yaml(pp_yaml(*setup_, "127.0.0.0/8")));
    ASSERT_TRUE(proxy_->wait_ready(setup_->admin_port)) << proxy_->output();
  }
  static void TearDownTestSuite() {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
    delete proxy_;
    delete setup_;
    delete mock_;
    proxy_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(proxy_, nullptr);
    ASSERT_TRUE(proxy_->running()) << proxy_->output();
  }

  // A rejected connection: closed, one new log line tagged with the cause, the counter +1.
  static void expect_rejected(const bytes& data, bool close_after_send, const std::string& cause,
                              const std::string& label) {
    const auto series = protocol_errors_series(cause);
    const auto before = scrape(setup_->admin_port, series).value_or(-1);
    const auto tag = "[" + cause + "]";
    const auto lines_before = lines_containing(proxy_->output(), tag).size();
    {
      raw_client c(setup_->bootstrap_port);
      ASSERT_TRUE(c.connected());
      ASSERT_TRUE(c.send(data));
      if (!close_after_send) {
        EXPECT_TRUE(c.closed_by_peer()) << label << ": not closed";
      }
    }
    EXPECT_TRUE(wait_metric(setup_->admin_port, series, before + 1)) << label;
    EXPECT_EQ(scrape(setup_->admin_port, series).value_or(-1), before + 1) << label;
    const auto lines = wait_lines(*proxy_, tag, lines_before + 1);
    EXPECT_EQ(lines.size(), lines_before + 1) << proxy_->output();
    std::cout << "[" << label << "] proxy log: " << (lines.empty() ? "" : lines.back()) << "\n";
    EXPECT_TRUE(proxy_->running());
  }

  static mock_cluster* mock_;
  static node_id_proxy* setup_;
  static proxy_process* proxy_;
};
mock_cluster* ProxyProtocol::mock_ = nullptr;
node_id_proxy* ProxyProtocol::setup_ = nullptr;
proxy_process* ProxyProtocol::proxy_ = nullptr;

TEST_F(ProxyProtocol, V1HeaderThenKafkaIsServedAndLoggedWithTheRealSource) {
  raw_client c(setup_->bootstrap_port);
  ASSERT_TRUE(c.connected());
  // Header and first request in one segment, as a load balancer often sends them: the
  // header must be consumed exactly, leaving the Kafka frame intact.
  ASSERT_TRUE(c.send(concat(text_bytes(v1_header), request_frame(18, 0, 5))));
  EXPECT_TRUE(api_versions_answer_ok(c, 5)) << proxy_->output();
  // And a second request on the same connection.
  ASSERT_TRUE(c.send(request_frame(18, 0, 6)));
  EXPECT_TRUE(api_versions_answer_ok(c, 6));
  const auto lines = wait_lines(*proxy_, "client=192.0.2.10:5555", 1);
  ASSERT_FALSE(lines.empty()) << proxy_->output();
  std::cout << "[v1] proxy log: " << lines.front() << "\n";
}

TEST_F(ProxyProtocol, V2PscTlvShowsInMetricsAndDebugLog) {
  // High bit set: a signed rendering of the id would show up as a negative number.
  const std::uint64_t id = 0x8000000000000001ull;
  const std::string decimal = "9223372036854775809";
  raw_client c(setup_->bootstrap_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(proxy_v2_psc(id)));
  ASSERT_TRUE(c.send(request_frame(18, 0, 9)));
  EXPECT_TRUE(api_versions_answer_ok(c, 9)) << proxy_->output();

  const auto metrics = http_get(setup_->admin_port, "/metrics").body;
  EXPECT_EQ(metric_value(metrics, "kafka_psc_proxy_psc_connections_total{psc_connection_id=\"" +
                                      decimal + "\"}"),
            1.0)
      << metrics;
  EXPECT_EQ(metric_value(metrics, "kafka_psc_proxy_psc_connections_open{psc_connection_id=\"" +
                                      decimal + "\"}"),
            1.0);
  const auto lines = wait_lines(*proxy_, "psc_connection_id=" + decimal, 1);
  ASSERT_FALSE(lines.empty()) << proxy_->output();
  std::cout << "[v2 psc] proxy log: " << lines.front() << "\n";
  EXPECT_NE(lines.front().find("client=192.0.2.10:5556"), std::string::npos) << lines.front();

  c.close();
  EXPECT_TRUE(wait_metric(
      setup_->admin_port,
      "kafka_psc_proxy_psc_connections_total{psc_connection_id=\"" + decimal + "\"}", 1));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::optional<double> open;
  do {
    open = scrape(setup_->admin_port,
                  "kafka_psc_proxy_psc_connections_open{psc_connection_id=\"" + decimal + "\"}");
    if (open == 0.0) break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(open, 0.0) << "psc_connections_open not decremented on close";
}

TEST_F(ProxyProtocol, TruncatedHeaderHeldOpenIsClosedAfterHeaderTimeout) {
  expect_rejected(text_bytes("PROXY TCP4 192.0.2.10 19"), false, "proxy_protocol_invalid",
                  "truncated v1, held open");
}

TEST_F(ProxyProtocol, TruncatedHeaderThenClientCloseIsCounted) {
  bytes partial = proxy_v2_psc(42);
  partial.resize(20);
  expect_rejected(partial, true, "proxy_protocol_invalid", "truncated v2, then client close");
}

// A client that hangs up halfway through its header is reported as such, at once, and not
// as a header timeout after header_timeout has run out.
TEST_F(ProxyProtocol, TruncatedHeaderThenClientCloseIsReportedAsClose) {
  const auto lines_before =
      lines_containing(proxy_->output(), "closed before a complete PROXY protocol header").size();
  bytes partial = proxy_v2_psc(43);
  partial.resize(20);
  {
    raw_client c(setup_->bootstrap_port);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(partial));
  }
  const auto lines =
      wait_lines(*proxy_, "closed before a complete PROXY protocol header", lines_before + 1);
  EXPECT_EQ(lines.size(), lines_before + 1) << proxy_->output();
}

TEST_F(ProxyProtocol, KafkaFrameWithoutHeaderIsClosed) {
  expect_rejected(request_frame(18, 0, 1), false, "proxy_protocol_invalid", "no header");
}

TEST_F(ProxyProtocol, AdminPortNeedsNoHeader) {
  EXPECT_EQ(http_get(setup_->admin_port, "/health").status, 200);
  EXPECT_EQ(http_get(setup_->admin_port, "/ready").status, 200);
  EXPECT_EQ(http_get(setup_->admin_port, "/metrics").status, 200);
}

TEST(ProxyProtocolSources, LoopbackSenderOutsideAllowedSourcesIsRefused) {
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  auto proxy = proxy_process::with_yaml(pp_yaml(setup, "10.0.0.0/8"));
  ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();
  const auto series = protocol_errors_series("proxy_protocol_untrusted_source");
  const auto before = scrape(setup.admin_port, series).value_or(-1);
  raw_client c(setup.bootstrap_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(concat(text_bytes(v1_header), request_frame(18, 0, 3))));
  EXPECT_TRUE(c.closed_by_peer()) << "an untrusted sender was served";
  EXPECT_TRUE(wait_metric(setup.admin_port, series, before + 1));
  const auto lines = wait_lines(proxy, "[proxy_protocol_untrusted_source]", 1);
  ASSERT_EQ(lines.size(), 1u) << proxy.output();
  std::cout << "[untrusted source] proxy log: " << lines.front() << "\n";
  EXPECT_NE(lines.front().find("proxy_protocol.allowed_sources"), std::string::npos);
  // The claimed identity is not adopted.
  EXPECT_EQ(proxy.output().find("client=192.0.2.10"), std::string::npos) << proxy.output();
  EXPECT_EQ(http_get(setup.admin_port, "/health").status, 200);
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// ---- HAProxy as the sender ---------------------------------------------------------------

// haproxy in the foreground (-db) as a child; SIGTERM + reap on destruction.
class haproxy_process {
 public:
  static constexpr const char* binary = "/usr/sbin/haproxy";
  explicit haproxy_process(const std::string& config) {
    config_path_ = "/tmp/kpp-h9-haproxy-" + std::to_string(::getpid()) + ".cfg";
    std::ofstream(config_path_) << config;
    log_path_ = config_path_ + ".log";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(log_path_.c_str(), "w", stdout);
      std::freopen(log_path_.c_str(), "w", stderr);
      ::execl(binary, binary, "-db", "-f", config_path_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~haproxy_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(10ms);
      }
    }
    ::unlink(config_path_.c_str());
    ::unlink(log_path_.c_str());
  }
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_path_);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  pid_t pid_ = -1;
  std::string config_path_;
  std::string log_path_;
};

// A client socket whose own port we know (the port HAProxy must pass on).
struct known_port_client {
  int fd = -1;
  std::uint16_t local_port = 0;
  explicit known_port_client(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
      return;
    }
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    local_port = ntohs(a.sin_port);
  }
  ~known_port_client() {
    if (fd >= 0) ::close(fd);
  }
  // Sends `request` and reads one response frame; its payload, or nullopt.
  std::optional<bytes> round_trip(const bytes& request) {
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
      return std::nullopt;
    bytes in;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (in.size() >= 4 && in.size() >= 4 + static_cast<std::size_t>(get_i32(in, 0)))
        return bytes(in.begin() + 4, in.begin() + 4 + get_i32(in, 0));
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      std::uint8_t buf[4096];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      in.insert(in.end(), buf, buf + n);
    }
    return std::nullopt;
  }
};

bool wait_listening(std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    raw_client probe(port);
    if (probe.connected()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST_F(ProxyProtocol, ThroughHaproxySendProxyV2TheClientsRealPortIsLogged) {
  struct stat st {};
  KPP_REQUIRE_TOOL(::stat(haproxy_process::binary, &st) == 0, "haproxy",
                   "apt-get install haproxy (the PROXY v2 sender)");
  const auto front = free_port();
  haproxy_process haproxy(
      "defaults\n"
      "  mode tcp\n"
      "  timeout connect 5s\n"
      "  timeout client 30s\n"
      "  timeout server 30s\n"
      "frontend kafka\n"
      "  bind 127.0.0.1:" +
      std::to_string(front) +
      "\n"
      "  default_backend proxy\n"
      "backend proxy\n"
      "  server s1 127.0.0.1:" +
      std::to_string(setup_->bootstrap_port) + " send-proxy-v2\n");
  ASSERT_TRUE(wait_listening(front)) << haproxy.log();
  // wait_listening's probe connected through HAProxy and closed without a byte: the proxy
  // may log that, which is fine. Now a real client.
  known_port_client c(front);
  ASSERT_GE(c.fd, 0);
  auto reply = c.round_trip(request_frame(18, 0, 21));
  ASSERT_TRUE(reply) << haproxy.log() << proxy_->output();
  EXPECT_EQ(get_i32(*reply, 0), 21);
  EXPECT_EQ(get_i16(*reply, 4), 0);
  const auto needle = "client=127.0.0.1:" + std::to_string(c.local_port) + " ";
  const auto lines = wait_lines(*proxy_, needle, 1);
  ASSERT_FALSE(lines.empty()) << "the client's own port " << c.local_port
                              << " is not in the proxy's log\n"
                              << proxy_->output();
  std::cout << "[haproxy send-proxy-v2] client port " << c.local_port
            << ", proxy log: " << lines.front() << "\n";
}

}  // namespace
