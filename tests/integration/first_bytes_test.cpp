// timeouts.first_bytes: connections that never send a byte are closed on their own deadline
// (with their own close reason), and a real client is served while thousands of them are
// open. Before it, a silent connection was held forever with default settings.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

constexpr int silent_count = 2000;
const std::string closed_series =
    "kafka_psc_proxy_sessions_closed_total{reason=\"first_bytes_timeout\"}";

// Each silent connection costs one descriptor here and one in the proxy (which inherits
// this limit): make room for them and the rest of the test.
bool raise_fd_limit(rlim_t want) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (r.rlim_cur >= want) return true;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want) return false;
  r.rlim_cur = want;
  return ::setrlimit(RLIMIT_NOFILE, &r) == 0;
}

int connect_silent(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the peer has closed `fd` (EOF or reset is readable), without blocking.
bool peer_closed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char c = 0;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

bool api_versions_round_trip(raw_client& c, std::int32_t corr) {
  if (!c.send(request_frame(18, 0, corr))) return false;
  auto reply = c.read_frame();
  return reply && reply->size() >= 6 && get_i32(*reply, 0) == corr && get_i16(*reply, 4) == 0;
}

struct silent_sockets {
  std::vector<int> fds;
  ~silent_sockets() {
    for (int fd : fds) ::close(fd);
  }
};

TEST(FirstBytes, SilentConnectionsAreClosedAndARealClientIsServedMeanwhile) {
  ASSERT_TRUE(raise_fd_limit(2 * silent_count + 1024)) << "cannot raise RLIMIT_NOFILE";
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  setup.extra_yaml = "timeouts:\n  first_bytes: 1s\n";
  auto proxy = proxy_process::with_yaml(setup.yaml());
  ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();
  const auto before = scrape(setup.admin_port, closed_series);
  ASSERT_TRUE(before) << "no first_bytes_timeout close reason in /metrics";

  silent_sockets silent;
  for (int i = 0; i < silent_count; ++i) {
    const int fd = connect_silent(setup.bootstrap_port);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    silent.fds.push_back(fd);
  }
  const auto all_open = std::chrono::steady_clock::now();

  // A real client, while the silent ones are open, is served.
  raw_client real(setup.bootstrap_port);
  ASSERT_TRUE(real.connected());
  EXPECT_TRUE(api_versions_round_trip(real, 7)) << proxy.output();

  // Every silent connection is closed within first_bytes + 2 s of the last one opening.
  const auto deadline = all_open + 1s + 2s;
  double closed = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    closed = scrape(setup.admin_port, closed_series).value_or(0) - *before;
    if (closed >= silent_count) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(closed, silent_count);
  int still_open = 0;
  for (int fd : silent.fds)
    if (!peer_closed(fd)) ++still_open;
  EXPECT_EQ(still_open, 0);
  std::cout << "[first_bytes] " << closed << " silent connections closed by the deadline\n";

  // The real client spoke in time: it is still served.
  EXPECT_TRUE(api_versions_round_trip(real, 8));
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

// At limits.max_connections, silent connections do not lock a real client out: the oldest
// silent one makes room (before, the new connection was refused until one closed).
TEST(FirstBytes, AtTheConnectionLimitTheOldestSilentConnectionMakesRoom) {
  constexpr int limit = 200;
  constexpr int opened = 300;
  ASSERT_TRUE(raise_fd_limit(2 * opened + 1024)) << "cannot raise RLIMIT_NOFILE";
  mock_cluster mock(3);
  auto setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
  setup.extra_yaml =
      "timeouts:\n  first_bytes: 60s\nlimits:\n  max_connections: " + std::to_string(limit) + "\n";
  auto proxy = proxy_process::with_yaml(setup.yaml());
  ASSERT_TRUE(proxy.wait_ready(setup.admin_port)) << proxy.output();

  silent_sockets silent;
  for (int i = 0; i < opened; ++i) {
    const int fd = connect_silent(setup.bootstrap_port);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    silent.fds.push_back(fd);
  }
  raw_client real(setup.bootstrap_port);
  ASSERT_TRUE(real.connected());
  EXPECT_TRUE(api_versions_round_trip(real, 1)) << proxy.output();

  // (opened - limit + 1) silent connections made room.
  const int must_close = opened - limit + 1;
  int closed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::vector<bool> gone(silent.fds.size(), false);
  while (closed < must_close && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < silent.fds.size(); ++i)
      if (!gone[i] && peer_closed(silent.fds[i])) {
        gone[i] = true;
        ++closed;
      }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(closed, must_close);
  // Old ones made room, not new ones. (Sessions register as silent on their worker thread,
  // so the order across threads is approximate: look at the newest ones only.)
  int newest_closed = 0;
  for (std::size_t i = silent.fds.size() - 50; i < silent.fds.size(); ++i)
    if (gone[i] || peer_closed(silent.fds[i])) ++newest_closed;
  EXPECT_EQ(newest_closed, 0);
  EXPECT_TRUE(api_versions_round_trip(real, 2));
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
