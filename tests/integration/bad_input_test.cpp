// Bad input on one connection closes that connection only, with one log line and a counter,
// while another session keeps working; hundreds of bad connections leak no descriptor.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

constexpr std::uint32_t max_frame = 16 * 1024;  // limits.max_frame_size below

// A one-trick upstream on a raw listening socket: for every request frame it reads, it
// writes whatever `answer` returns for that request's correlation id, then closes if told.
class fake_upstream {
 public:
  using answer_fn = std::function<bytes(std::int32_t correlation_id)>;
  fake_upstream(answer_fn answer, bool close_after_answer)
      : answer_(std::move(answer)), close_after_(close_after_answer) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("fake upstream: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_upstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int answered() const { return answered_.load(); }

 private:
  // Bounded waits everywhere: poll with a short timeout, re-checking stop_.
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      handle(c);
      ::close(c);
    }
  }
  bool read_exact(int c, std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (done < n && !stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const auto got = ::recv(c, out + done, n - done, 0);
      if (got <= 0) return false;
      done += static_cast<std::size_t>(got);
    }
    return done == n;
  }
  void handle(int c) {
    for (;;) {
      std::uint8_t head[12];
      if (!read_exact(c, head, 4)) return;
      const std::uint32_t size = (std::uint32_t(head[0]) << 24) | (std::uint32_t(head[1]) << 16) |
                                 (std::uint32_t(head[2]) << 8) | head[3];
      if (size < 8 || size > max_frame) return;
      bytes payload(size);
      if (!read_exact(c, payload.data(), size)) return;
      const auto reply = answer_(get_i32(payload, 4));
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ++answered_;
      if (close_after_) return;
    }
  }

  answer_fn answer_;
  bool close_after_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

// Counts occurrences of `text` in the proxy's log.
std::size_t log_count(const proxy_process& proxy, const std::string& text) {
  const auto out = proxy.output();
  std::size_t n = 0;
  for (auto at = out.find(text); at != std::string::npos; at = out.find(text, at + text.size()))
    ++n;
  return n;
}

// -1 when the scrape fails or the series is absent (never equal to a real count).
double metric_now(std::uint16_t admin, const std::string& series) {
  return scrape(admin, series).value_or(-1.0);
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    // Half a Metadata response, then the connection closes: an upstream dying mid-response.
    half_ = std::make_unique<fake_upstream>(
        [](std::int32_t corr) {
          bytes b;
          put_i32(b, 200);  // claims 200 bytes, sends 8
          put_i32(b, corr);
          put_i32(b, 0);
          return b;
        },
        true);
    // A whole, well-formed frame answering a correlation id nobody asked for.
    mismatch_ = std::make_unique<fake_upstream>(
        [](std::int32_t corr) {
          bytes b;
          put_i32(b, 8);
          put_i32(b, corr + 1);
          put_i32(b, 0);
          return b;
        },
        false);
    setup_ = node_id_proxy::for_cluster(mock_.broker_addresses().at(0), 3);
    half_port_ = free_port();
    mismatch_port_ = free_port();
    setup_.extra_listeners_yaml = "    - listen: 127.0.0.1:" + std::to_string(half_port_) +
                                  "\n      upstream: " + half_->address() +
                                  "\n    - listen: 127.0.0.1:" + std::to_string(mismatch_port_) +
                                  "\n      upstream: " + mismatch_->address() + "\n";
    setup_.extra_yaml =
        "limits:\n  max_frame_size: " + std::to_string(max_frame) + "\nforbidden_api_keys: [20]\n";
    proxy_.emplace(proxy_process::with_yaml(setup_.yaml()));
    ASSERT_TRUE(proxy_->wait_ready(setup_.admin_port)) << proxy_->output();
    keeper_ = std::make_unique<raw_client>(setup_.bootstrap_port);
    ASSERT_TRUE(keeper_->connected());
    keeper_round_trip();
  }
  void TearDown() override {
    // The process survived everything and still answers.
    ASSERT_TRUE(proxy_->running()) << proxy_->output();
    EXPECT_EQ(http_get(setup_.admin_port, "/health").status, 200);
    keeper_.reset();
    EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
  }

  // The long-lived second session: a Metadata round trip must still work.
  void keeper_round_trip() {
    std::string error;
    auto brokers = metadata_round_trip(*keeper_, 1, ++keeper_corr_, &error);
    ASSERT_TRUE(brokers) << "the other session broke: " << error << "\n" << proxy_->output();
    EXPECT_EQ(brokers->size(), 3u);
  }

  // Sends `input` on a new connection to `port` and expects: the proxy closes it, the
  // counter `series` grows by one, the log gains one line containing `log_text`, and the
  // other session still works.
  void expect_closed_with(std::uint16_t port, const bytes& input, const std::string& series,
                          const std::string& log_text, bool client_closes = false) {
    const double before = metric_now(setup_.admin_port, series);
    const auto lines_before = log_count(*proxy_, log_text);
    {
      raw_client c(port);
      ASSERT_TRUE(c.connected());
      ASSERT_TRUE(c.send(input));
      if (client_closes) {
        c.close();
      } else {
        ASSERT_TRUE(c.closed_by_peer()) << "the proxy kept the connection open\n"
                                        << proxy_->output();
      }
    }
    // The counter is bumped when the session ends; poll for it (bounded).
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (metric_now(setup_.admin_port, series) < before + 1 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);  // polling /metrics
    EXPECT_EQ(metric_now(setup_.admin_port, series), before + 1) << series;
    const auto deadline2 = std::chrono::steady_clock::now() + 5s;
    while (log_count(*proxy_, log_text) < lines_before + 1 &&
           std::chrono::steady_clock::now() < deadline2)
      std::this_thread::sleep_for(10ms);  // polling the log
    EXPECT_EQ(log_count(*proxy_, log_text), lines_before + 1) << proxy_->output();
    keeper_round_trip();
  }

  mock_cluster mock_{3};
  std::unique_ptr<fake_upstream> half_;
  std::unique_ptr<fake_upstream> mismatch_;
  node_id_proxy setup_;
  std::uint16_t half_port_ = 0;
  std::uint16_t mismatch_port_ = 0;
  std::optional<proxy_process> proxy_;
  std::unique_ptr<raw_client> keeper_;
  std::int32_t keeper_corr_ = 0;
};

bytes oversize_frame() {
  bytes b;
  put_i32(b, static_cast<std::int32_t>(max_frame + 1));
  put_i16(b, 3);
  put_i16(b, 1);
  put_i32(b, 1);
  return b;
}

TEST_F(BadInput, OversizeFrameClosesOnlyThatConnection) {
  expect_closed_with(setup_.bootstrap_port, oversize_frame(),
                     protocol_errors_series("frame_too_large"), "[frame_too_large]");
}

TEST_F(BadInput, FrameTooSmallForAHeaderClosesOnlyThatConnection) {
  // size 3 and its 3 bytes: a complete frame that cannot hold api key, version, correlation.
  expect_closed_with(setup_.bootstrap_port, bytes{0, 0, 0, 3, 0, 3, 0},
                     protocol_errors_series("malformed_header"), "[malformed_header]");
}

TEST_F(BadInput, UnsupportedVersionOfAKnownApiClosesOnlyThatConnection) {
  expect_closed_with(setup_.bootstrap_port, request_frame(3, 99, 5, metadata_request_body(1)),
                     protocol_errors_series("malformed_header"), "[malformed_header]");
}

TEST_F(BadInput, UnknownApiKeyClosesOnlyThatConnection) {
  expect_closed_with(setup_.bootstrap_port, request_frame(999, 0, 5),
                     protocol_errors_series("unknown_api_key"), "[unknown_api_key]");
}

TEST_F(BadInput, ForbiddenApiKeyClosesOnlyThatConnection) {
  expect_closed_with(setup_.bootstrap_port, request_frame(20, 0, 5, bytes{0, 0, 0, 0, 0, 0, 0, 0}),
                     protocol_errors_series("forbidden_api_key"), "[forbidden_api_key]");
}

TEST_F(BadInput, ClientClosingMidRequestIsCountedAsTruncated) {
  // A Metadata frame announcing 100 bytes, 20 of them sent, then the client goes away.
  bytes b;
  put_i32(b, 100);
  put_i16(b, 3);
  put_i16(b, 1);
  put_i32(b, 9);
  b.resize(24, 0);
  // The log line must show at the default level (info): it is counted as a protocol error.
  expect_closed_with(setup_.bootstrap_port, b, protocol_errors_series("truncated_frame"),
                     "middle of a request", /*client_closes=*/true);
}

TEST_F(BadInput, UpstreamDyingMidResponseClosesOnlyThatConnection) {
  expect_closed_with(half_port_, request_frame(3, 1, 77, metadata_request_body(1)),
                     "kafka_psc_proxy_sessions_closed_total{reason=\"upstream_closed\"}",
                     "request(s) in flight");
  EXPECT_EQ(half_->answered(), 1);
}

TEST_F(BadInput, CorrelationMismatchFromUpstreamClosesOnlyThatConnection) {
  expect_closed_with(mismatch_port_, request_frame(3, 1, 77, metadata_request_body(1)),
                     protocol_errors_series("correlation_mismatch"), "[correlation_mismatch]");
  EXPECT_EQ(mismatch_->answered(), 1);
}

TEST_F(BadInput, TwoHundredBadConnectionsLeakNoDescriptor) {
  const int baseline = proxy_->open_fds();
  ASSERT_GT(baseline, 0);
  const std::vector<bytes> inputs{oversize_frame(), request_frame(999, 0, 1),
                                  request_frame(20, 0, 1, bytes(8, 0)), bytes{1, 2, 3}};
  for (int i = 0; i < 200; ++i) {
    raw_client c(setup_.bootstrap_port);
    ASSERT_TRUE(c.connected()) << "connection " << i;
    const auto& input = inputs[static_cast<std::size_t>(i) % inputs.size()];
    ASSERT_TRUE(c.send(input));
    // The first three are refused by the proxy; the last is a client that gives up.
    if (i % 4 != 3) {
      EXPECT_TRUE(c.closed_by_peer()) << "connection " << i;
    }
  }
  keeper_round_trip();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int now = proxy_->open_fds();
  while (now > baseline && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // polling /proc/<pid>/fd
    now = proxy_->open_fds();
  }
  EXPECT_LE(now, baseline) << "descriptors: baseline " << baseline << ", now " << now;
}

}  // namespace
