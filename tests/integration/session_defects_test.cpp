// Regression tests for the session core (issue 14): a failed client write closes the session,
// the write timeout holds per direction, a closed session never dials on, drain does not cut a
// frame, acks=0-only connections can go idle, and a half-closed client still gets its answers.
// Each runs against scripted fake upstreams on loopback sockets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

constexpr std::int16_t heartbeat = 12;  // its response is forwarded untouched
constexpr std::int16_t metadata = 3;    // its response is assembled and rewritten

// Polls `done` every 10 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);  // polling
  }
  return true;
}

// A response frame: size, correlation id, `body_size` bytes of zeros.
bytes response_frame(std::int32_t corr, std::size_t body_size) {
  bytes b;
  put_i32(b, static_cast<std::int32_t>(4 + body_size));
  put_i32(b, corr);
  b.resize(b.size() + body_size, 0);
  return b;
}

// Metadata v1 response with no brokers and no topics: valid, and the rewriter leaves it be.
bytes empty_metadata_v1(std::int32_t corr) {
  bytes b;
  put_i32(b, 16);
  put_i32(b, corr);
  put_i32(b, 0);   // brokers
  put_i32(b, -1);  // controller_id
  put_i32(b, 0);   // topics
  return b;
}

// A scripted upstream: one thread, non-blocking sockets, every wait bounded. For each request
// frame read, `answer(api_key, correlation_id)` returns bytes to queue for that connection
// (possibly none); queued bytes are written as the proxy reads them, while requests keep
// being read, so a stalled reader on one side never stops the other.
class scripted_upstream {
 public:
  using answer_fn = std::function<bytes(std::int16_t api_key, std::int32_t corr)>;
  explicit scripted_upstream(answer_fn answer, int backlog = 64) : answer_(std::move(answer)) {
    fd_ = listen_loopback(port_, "scripted upstream");
    if (backlog != 64) ::listen(fd_, backlog);
    thread_ = std::thread([this] { serve(); });
  }
  // A listener that never accepts and whose queue is full: a connect to it hangs (SYN dropped).
  static std::unique_ptr<scripted_upstream> black_hole() {
    auto u = std::unique_ptr<scripted_upstream>(new scripted_upstream());
    u->fd_ = listen_loopback(u->port_, "black hole");
    ::listen(u->fd_, 0);
    for (int i = 0; i < 2; ++i) {  // backlog 0 queues one connection; then SYNs are dropped
      const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(u->port_);
      (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      u->fillers_.push_back(c);
    }
    return u;
  }
  ~scripted_upstream() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  [[nodiscard]] int open_connections() const { return open_.load(); }
  [[nodiscard]] int requests() const { return requests_.load(); }
  // Queues `b` on every open connection, as if answering now.
  void inject(const bytes& b) {
    std::lock_guard lock(inject_mutex_);
    injected_.insert(injected_.end(), b.begin(), b.end());
  }

 private:
  scripted_upstream() = default;
  struct conn {
    int fd;
    bytes in;
    bytes out;
    std::size_t out_at = 0;
  };
  void serve() {
    std::vector<conn> conns;
    while (!stop_) {
      std::vector<pollfd> ps{{fd_, POLLIN, 0}};
      for (auto& c : conns)
        ps.push_back(
            {c.fd, static_cast<short>(POLLIN | (c.out_at < c.out.size() ? POLLOUT : 0)), 0});
      {
        std::lock_guard lock(inject_mutex_);
        if (!injected_.empty()) {
          for (auto& c : conns) c.out.insert(c.out.end(), injected_.begin(), injected_.end());
          injected_.clear();
        }
      }
      if (::poll(ps.data(), ps.size(), 50) <= 0) continue;
      if (ps[0].revents & POLLIN) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) {
          conns.push_back({c, {}, {}});
          ++accepted_;
          ++open_;
        }
      }
      for (std::size_t i = 0; i < conns.size(); ++i) {
        auto& c = conns[i];
        const auto re = ps.size() > i + 1 ? ps[i + 1].revents : 0;
        bool gone = false;
        if (re & (POLLIN | POLLHUP | POLLERR)) {
          std::uint8_t chunk[65536];
          const auto got = ::recv(c.fd, chunk, sizeof chunk, 0);
          if (got <= 0) {
            gone = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
          } else {
            c.in.insert(c.in.end(), chunk, chunk + got);
            take_requests(c);
          }
        }
        if (!gone && (re & POLLOUT) && c.out_at < c.out.size()) {
          const auto sent =
              ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
          if (sent > 0) c.out_at += static_cast<std::size_t>(sent);
          if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) gone = true;
        }
        if (gone) {
          ::close(c.fd);
          --open_;
          conns.erase(conns.begin() + static_cast<long>(i));
          --i;
        }
      }
    }
    for (auto& c : conns) ::close(c.fd);
  }
  void take_requests(conn& c) {
    for (;;) {
      if (c.in.size() < 4) return;
      const auto size = static_cast<std::uint32_t>(get_i32(c.in, 0));
      if (c.in.size() < 4 + size) return;
      const bytes payload(c.in.begin() + 4, c.in.begin() + 4 + size);
      c.in.erase(c.in.begin(), c.in.begin() + 4 + size);
      ++requests_;
      if (payload.size() < 8) continue;
      auto reply = answer_(get_i16(payload, 0), get_i32(payload, 4));
      c.out.insert(c.out.end(), reply.begin(), reply.end());
    }
  }

  answer_fn answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
  std::mutex inject_mutex_;
  bytes injected_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

bytes produce_acks0(std::int32_t corr) {
  bytes body;
  put_i16(body, -1);    // transactional_id: null
  put_i16(body, 0);     // acks
  put_i32(body, 1000);  // timeout_ms
  put_i32(body, 0);     // topic_data: empty
  return request_frame(0, 3, corr, body);
}

// A proxy in front of the mock cluster, plus one fixed listener per scripted upstream list.
class SessionDefects : public ::testing::Test {
 protected:
  // Starts the proxy with a fixed listener on `port_` to `upstreams` and `extra_yaml`.
  void start(const std::string& upstreams, const std::string& extra_yaml) {
    setup_ = node_id_proxy::for_cluster(mock_.broker_addresses().at(0), 3);
    port_ = free_port();
    setup_.extra_listeners_yaml = "    - listen: 127.0.0.1:" + std::to_string(port_) +
                                  "\n      upstream: \"" + upstreams + "\"\n";
    setup_.extra_yaml = extra_yaml;
    proxy_.emplace(proxy_process::with_yaml(setup_.yaml()));
    ASSERT_TRUE(proxy_->wait_ready(setup_.admin_port)) << proxy_->output();
  }
  void TearDown() override {
    if (proxy_ && proxy_->running()) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }
  double metric(const std::string& series) const {
    return scrape(setup_.admin_port, series).value_or(-1.0);
  }

  mock_cluster mock_{3};
  node_id_proxy setup_;
  std::uint16_t port_ = 0;
  std::optional<proxy_process> proxy_;
};

// Defect 1: responses pile up unread, alternating forwarded and rewritten; the client resets.
// The failed write must close the session, and the request pump (waiting for FIFO space, the
// client pipelined more than max_in_flight) must wake: both descriptors are given back.
TEST_F(SessionDefects, FailedClientWriteClosesTheSessionAndReleasesItsDescriptors) {
  // A forwarded response and a rewritten one queued together, so the proxy reads both at once
  // and writes the forwarded bytes just before the rewritten frame.
  std::mutex m;
  std::int32_t pending_heartbeat = -1;
  scripted_upstream up([&](std::int16_t key, std::int32_t corr) {
    std::lock_guard lock(m);
    if (key == heartbeat) {
      pending_heartbeat = corr;
      return bytes{};
    }
    auto pair = response_frame(pending_heartbeat, 30000);
    const auto meta = empty_metadata_v1(corr);
    pair.insert(pair.end(), meta.begin(), meta.end());
    return pair;
  });
  start(up.address(), "limits:\n  max_in_flight: 4\n");
  const int baseline = proxy_->open_fds();
  {
    raw_client c(port_, 4096);
    ASSERT_TRUE(c.connected());
    bytes pipeline;
    for (std::int32_t i = 0; i < 800; ++i) {
      const auto f = i % 2 == 0 ? request_frame(heartbeat, 0, i, bytes(12, 0))
                                : request_frame(metadata, 1, i, metadata_request_body(1));
      pipeline.insert(pipeline.end(), f.begin(), f.end());
    }
    ASSERT_TRUE(c.send(pipeline));
    // Wait until the upstream stops getting requests: the proxy is stuck writing to us.
    int last = -1;
    ASSERT_TRUE(eventually(
        [&] {
          const int now = up.requests();
          const bool still = now == last && now > 0;
          last = now;
          if (!still) std::this_thread::sleep_for(200ms);  // sample the count over time
          return still;
        },
        20s));
    ASSERT_LT(up.requests(), 800) << "the proxy never stalled: the test proves nothing";
    EXPECT_GT(proxy_->open_fds(), baseline);
    c.reset();
  }
  EXPECT_TRUE(eventually([&] { return proxy_->open_fds() <= baseline; }))
      << "descriptors: baseline " << baseline << ", now " << proxy_->open_fds() << "\n"
      << proxy_->output();
  EXPECT_TRUE(eventually([&] { return up.open_connections() == 0; }))
      << "the upstream connection of a dead client is still open";
}

// Defect 5: a write to the client that stalls is closed by timeouts.write even while the
// other direction keeps writing requests upstream.
TEST_F(SessionDefects, WriteTimeoutHoldsWhileTheOtherDirectionWrites) {
  std::atomic<bool> first{true};
  scripted_upstream up([&](std::int16_t, std::int32_t corr) {
    // One huge forwarded response that the client never reads; the rest go unanswered.
    return first.exchange(false) ? response_frame(corr, 32 * 1024 * 1024) : bytes{};
  });
  start(up.address(), "timeouts:\n  write: 500ms\n");
  const std::string series = "kafka_psc_proxy_sessions_closed_total{reason=\"client_io_error\"}";
  const double before = metric(series);
  raw_client c(port_, 4096);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 0, bytes(12, 0))));
  ASSERT_TRUE(c.readable(5s));  // the response has started
  // Keep the request direction writing for a while.
  for (std::int32_t i = 1; i <= 20 && metric(series) < before + 1; ++i) {
    ASSERT_TRUE(c.send(request_frame(heartbeat, 0, i, bytes(12, 0))));
    std::this_thread::sleep_for(100ms);  // pacing the requests, not waiting for a result
  }
  EXPECT_TRUE(eventually([&] { return metric(series) >= before + 1; }))
      << "the stalled client write was never timed out\n"
      << proxy_->output();
  EXPECT_FALSE(lines_containing(proxy_->output(), "a write to the client stalled").empty());
}

// Defect 6: a session closed while it dials (here by the idle timeout, while the first
// bootstrap server hangs) must not go on to connect the next one and leak that connection.
TEST_F(SessionDefects, ClosedSessionDoesNotDialOn) {
  auto hang = scripted_upstream::black_hole();
  scripted_upstream live([](std::int16_t, std::int32_t corr) { return response_frame(corr, 2); });
  // Discovery reads the mock broker first. Bootstrap sessions rotate over the servers: the
  // first goes to the mock broker, the second tries the black hole, then `live`.
  setup_ = node_id_proxy::for_cluster(
      mock_.broker_addresses().at(0) + "," + hang->address() + "," + live.address(), 3);
  setup_.extra_yaml = "timeouts:\n  idle: 300ms\n  dial: 5s\n";
  proxy_.emplace(proxy_process::with_yaml(setup_.yaml()));
  ASSERT_TRUE(proxy_->wait_ready(setup_.admin_port)) << proxy_->output();
  {
    raw_client first(setup_.bootstrap_port);
    std::string error;
    ASSERT_TRUE(metadata_round_trip(first, 1, 1, &error)) << error << proxy_->output();
  }
  raw_client c(setup_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 1, bytes(12, 0))));
  ASSERT_TRUE(c.closed_by_peer(10s)) << proxy_->output();
  ASSERT_TRUE(proxy_->wait_for_output("idle for", 5s));  // closed by the idle timeout
  EXPECT_FALSE(eventually([&] { return live.accepted() > 0; }, 2s))
      << "a closed session dialed the next bootstrap server\n"
      << proxy_->output();
  EXPECT_EQ(live.open_connections(), 0);
}

// Defect 9: SIGTERM while a forwarded response body is being written lets it finish.
// A large pass-through response moves by splice(2), which cannot pass MSG_NOSIGNAL: a client
// that half-closes (the proxy's side goes to CLOSE_WAIT) and then resets makes the next write
// fail with EPIPE. That must close the one session, not raise SIGPIPE and end the process.
TEST_F(SessionDefects, ClientGoneDuringASplicedResponseEndsOnlyThatSession) {
  constexpr std::size_t body = 8 * 1024 * 1024;
  scripted_upstream up([&](std::int16_t, std::int32_t corr) { return response_frame(corr, body); });
  start(up.address(), "");
  raw_client c(port_, 4096);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 7, bytes(12, 0))));
  ASSERT_TRUE(c.readable(5s));  // the body is on its way and stalls on our unread buffer
  c.half_close();
  c.reset();
  // The proxy notices the reset at its next write (a client I/O error), and is still there.
  EXPECT_TRUE(eventually(
      [&] {
        return !proxy_->running() ||
               metric(R"(kafka_psc_proxy_sessions_closed_total{reason="client_io_error"})") >= 1;
      },
      10s));
  ASSERT_TRUE(proxy_->running()) << proxy_->output();
  raw_client d(port_);
  ASSERT_TRUE(d.connected());
  ASSERT_TRUE(d.send(request_frame(heartbeat, 0, 8, bytes(12, 0))));
  const auto frame = d.read_frame(20s);
  ASSERT_TRUE(frame) << proxy_->output();
  EXPECT_EQ(frame->size(), 4 + body);
  EXPECT_TRUE(proxy_->running());
}

TEST_F(SessionDefects, DrainDoesNotCutAForwardedResponse) {
  constexpr std::size_t body = 8 * 1024 * 1024;
  scripted_upstream up([&](std::int16_t, std::int32_t corr) { return response_frame(corr, body); });
  start(up.address(), "");
  raw_client c(port_, 4096);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 7, bytes(12, 0))));
  ASSERT_TRUE(c.readable(5s));  // the body is on its way and stalls on our unread buffer
  proxy_->signal(SIGTERM);
  ASSERT_TRUE(proxy_->wait_for_output("drain", 5s)) << proxy_->output();
  const auto frame = c.read_frame(20s);
  ASSERT_TRUE(frame) << "the response was cut\n" << proxy_->output();
  EXPECT_EQ(frame->size(), 4 + body);
  EXPECT_EQ(get_i32(*frame, 0), 7);
  EXPECT_TRUE(c.closed_by_peer(10s));
  EXPECT_TRUE(proxy_->wait_exit(20s).has_value());
}

// A connection that only sends acks=0 Produce (never answered) becomes idle.
TEST_F(SessionDefects, AcksZeroOnlyConnectionGoesIdle) {
  scripted_upstream up([](std::int16_t, std::int32_t) { return bytes{}; });
  start(up.address(), "timeouts:\n  idle: 500ms\n");
  raw_client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(produce_acks0(1)));
  ASSERT_TRUE(c.send(produce_acks0(2)));
  EXPECT_TRUE(c.closed_by_peer(10s)) << proxy_->output();
  EXPECT_TRUE(proxy_->wait_for_output("idle for", 5s));
}

// Half-close: the client shuts its write side; the answers to what it sent still arrive.
TEST_F(SessionDefects, HalfClosedClientStillGetsItsResponses) {
  scripted_upstream up([](std::int16_t, std::int32_t) { return bytes{}; });  // answers later
  start(up.address(), "");
  raw_client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 1, bytes(12, 0))));
  ASSERT_TRUE(c.send(request_frame(heartbeat, 0, 2, bytes(12, 0))));
  ASSERT_TRUE(eventually([&] { return up.requests() == 2; }));
  c.half_close();
  // A slow broker: it answers a moment after the client's FIN reached the proxy.
  std::this_thread::sleep_for(300ms);
  auto answers = response_frame(1, 100);
  const auto second = response_frame(2, 100);
  answers.insert(answers.end(), second.begin(), second.end());
  up.inject(answers);
  for (std::int32_t corr : {1, 2}) {
    const auto frame = c.read_frame(10s);
    ASSERT_TRUE(frame) << "response " << corr << " lost after the client half-closed\n"
                       << proxy_->output();
    EXPECT_EQ(get_i32(*frame, 0), corr);
  }
  EXPECT_TRUE(c.closed_by_peer(10s));
}

// Metadata v1 response with no brokers and `topics` topics named by 30000 'a's: a big
// response the proxy must assemble before it can rewrite it.
bytes big_metadata_v1(std::int32_t corr, int topics) {
  bytes body;
  put_i32(body, corr);
  put_i32(body, 0);   // brokers
  put_i32(body, -1);  // controller_id
  put_i32(body, topics);
  for (int t = 0; t < topics; ++t) {
    put_i16(body, 0);  // error_code
    put_i16(body, 30000);
    body.insert(body.end(), 30000, 'a');
    body.push_back(0);  // is_internal
    put_i32(body, 0);   // partitions
  }
  bytes frame;
  put_i32(frame, static_cast<std::int32_t>(body.size()));
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

// limits.assembled_memory: while one client holds most of the budget (its assembled response
// is stuck on its unread socket), another client's assembled response waits instead of being
// allocated, and goes through once the memory comes back.
TEST_F(SessionDefects, AssembledResponsesWaitForTheProcessWideBudget) {
  constexpr int topics = 200;  // ~6 MB: more than the loopback socket buffers hold
  scripted_upstream up(
      [](std::int16_t, std::int32_t corr) { return big_metadata_v1(corr, topics); });
  start(up.address(), "limits:\n  max_frame_size: 16MiB\n  assembled_memory: 8MiB\n");
  raw_client a(port_, 4096);
  ASSERT_TRUE(a.connected());
  ASSERT_TRUE(a.send(request_frame(metadata, 1, 1, metadata_request_body(1))));
  ASSERT_TRUE(a.readable(10s));  // a's response is assembled and stalls on a's socket
  raw_client b(port_);
  ASSERT_TRUE(b.connected());
  ASSERT_TRUE(b.send(request_frame(metadata, 1, 2, metadata_request_body(1))));
  ASSERT_TRUE(eventually([&] { return up.requests() == 2; }));
  EXPECT_FALSE(b.readable(1000ms)) << "b's response was assembled past limits.assembled_memory";
  const auto fa = a.read_frame(20s);
  ASSERT_TRUE(fa) << proxy_->output();
  EXPECT_EQ(get_i32(*fa, 0), 1);
  const auto fb = b.read_frame(20s);
  ASSERT_TRUE(fb) << "b's response never came once the memory was back\n" << proxy_->output();
  EXPECT_EQ(get_i32(*fb, 0), 2);
  EXPECT_EQ(fb->size(), fa->size());
}

[[maybe_unused]] std::uint64_t proc_status_kib(pid_t pid,
                                               const std::string& key) {  // (unused under ASan)
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0)
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
  return 0;
}

// An exception inside a session's coroutine ends that session only: it closes with cause
// internal_error, both counters move, one error line is logged, and the process goes on
// serving others (with its assembly budget given back). The exception is a real one: an
// upstream announces a 2 GiB response that must be assembled, and the proxy's address space
// is capped (RLIMIT_AS) so the allocation throws std::bad_alloc.
// Not built under ASan: its allocator reserves terabytes of address space, so RLIMIT_AS cannot
// make one allocation fail there (and a skipped test would fail CI).
#if !defined(__SANITIZE_ADDRESS__)
TEST_F(SessionDefects, AnExceptionInASessionClosesOnlyThatSession) {
  std::atomic<int> answered{0};
  scripted_upstream up([&](std::int16_t, std::int32_t corr) {
    if (answered.fetch_add(1) > 0) return empty_metadata_v1(corr);
    bytes b;
    put_i32(b, 0x7ff00000);  // a Metadata response of 2047 MiB: assembled, so allocated whole
    put_i32(b, corr);
    put_i32(b, 0);
    return b;
  });
  start(up.address(), "limits:\n  max_frame_size: 2047MiB\n  assembled_memory: 64MiB\n");
  const pid_t pid = proxy_->pid();
  // Room for everything the proxy does, but not for 2 GiB at once.
  const auto room = static_cast<rlim_t>((proc_status_kib(pid, "VmSize") << 10) + (512ull << 20));
  const rlimit cap{room, room};
  ASSERT_EQ(::prlimit(pid, RLIMIT_AS, &cap, nullptr), 0) << std::strerror(errno);
  const auto internal = protocol_errors_series("internal_error");
  const std::string closed = "kafka_psc_proxy_sessions_closed_total{reason=\"internal_error\"}";
  const double errors_before = metric(internal), closed_before = metric(closed);

  raw_client a(port_);
  ASSERT_TRUE(a.connected());
  ASSERT_TRUE(a.send(request_frame(metadata, 1, 1, metadata_request_body(1))));
  EXPECT_TRUE(a.closed_by_peer(10s)) << proxy_->output();
  EXPECT_TRUE(eventually([&] { return metric(closed) >= closed_before + 1; })) << proxy_->output();
  EXPECT_EQ(metric(internal), errors_before + 1);
  EXPECT_EQ(lines_containing(proxy_->output(), "[internal_error]").size(), 1u) << proxy_->output();
  EXPECT_TRUE(proxy_->running());

  // Another client is served, through the same (released) assembly budget.
  raw_client b(port_);
  ASSERT_TRUE(b.connected());
  ASSERT_TRUE(b.send(request_frame(metadata, 1, 2, metadata_request_body(1))));
  const auto fb = b.read_frame(10s);
  ASSERT_TRUE(fb) << proxy_->output();
  EXPECT_EQ(get_i32(*fb, 0), 2);
}
#endif  // !__SANITIZE_ADDRESS__

}  // namespace
