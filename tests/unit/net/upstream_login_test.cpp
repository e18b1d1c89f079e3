// The proxy's own SASL login (net/upstream_login) against a scripted broker on loopback that
// answers with auth/'s server-side login: every mechanism succeeds and returns the broker's
// session lifetime (KIP-368); a wrong password fails quoting the broker's message; a broker
// that closes or never answers fails within the deadline.
#include "kpp/net/upstream_login.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "kpp/auth/sasl_server_session.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

enum class broker_mode { answer, close_at_once, silent };

bool read_all(int fd, void* p, std::size_t n) {
  auto* b = static_cast<std::uint8_t*>(p);
  while (n > 0) {
    const auto r = ::recv(fd, b, n, 0);
    if (r <= 0) return false;
    b += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// One connection, served on its own thread with blocking sockets.
class scripted_broker {
 public:
  scripted_broker(broker_mode mode, std::int64_t lifetime_ms) : mode_(mode) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 1);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, lifetime_ms] { serve(lifetime_ms); });
  }
  ~scripted_broker() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (conn_ >= 0) ::shutdown(conn_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    if (conn_ >= 0) ::close(conn_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void serve(std::int64_t lifetime_ms) {
    conn_ = ::accept(listen_fd_, nullptr, nullptr);
    if (conn_ < 0) return;
    if (mode_ == broker_mode::close_at_once) {
      ::shutdown(conn_, SHUT_RDWR);
      return;
    }
    auth::sasl_server_config cfg;
    cfg.enabled = {auth::mechanism::plain, auth::mechanism::scram_sha_256,
                   auth::mechanism::scram_sha_512};
    cfg.session_lifetime_ms = lifetime_ms;
    auto lookup = [](std::string_view name,
                     auth::mechanism m) -> std::optional<auth::scram_credential> {
      if (name != "proxy") return std::nullopt;
      const auto mech = m == auth::mechanism::plain ? auth::mechanism::scram_sha_512 : m;
      auto c = auth::make_scram_credential(mech, "secret", "salty-salt", 4096);
      return c ? std::optional(*c) : std::nullopt;
    };
    auth::sasl_server_session server(cfg, lookup);
    for (;;) {
      std::uint8_t size_bytes[4];
      if (!read_all(conn_, size_bytes, 4)) return;
      const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) |
                                 (std::uint32_t{size_bytes[1]} << 16) |
                                 (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3];
      protocol::byte_buffer payload(size);
      if (!read_all(conn_, payload.data(), size)) return;
      if (mode_ == broker_mode::silent) continue;
      auto header = protocol::decode_request_header(payload);
      if (!header) return;
      auto reply = server.on_request(header->api_key, header->api_version,
                                     protocol::bytes_view(payload).subspan(header->size));
      if (!reply) return;
      const auto hv = protocol::response_header_version(header->api_key, header->api_version);
      const bool flexible = hv && *hv >= 1;
      protocol::byte_buffer frame;
      protocol::wire_writer w(frame);
      w.i32(static_cast<std::int32_t>(4 + (flexible ? 1 : 0) + reply->body.size()));
      w.i32(header->correlation_id);
      if (flexible) w.uvarint(0);
      w.raw(reply->body);
      if (::send(conn_, frame.data(), frame.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(frame.size()))
        return;
      if (reply->outcome && *reply->outcome != auth::login_outcome::success) return;
    }
  }

  broker_mode mode_;
  int listen_fd_ = -1;
  std::atomic<int> conn_{-1};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

using login_result = common::result<login_done, login_failure>;

std::optional<login_result> run_login(const scripted_broker& broker,
                                      upstream_login_settings settings,
                                      std::chrono::milliseconds timeout = 5s) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::address_v4::loopback(), broker.port()});
  plain_stream stream(std::move(s));
  std::optional<login_result> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        out.emplace(co_await login_upstream(stream, settings, deadline));
      },
      asio::detached);
  io.run_for(20s);
  return out;
}

TEST(UpstreamLogin, EveryMechanismLogsInAndReturnsTheSessionLifetime) {
  for (auto m :
       {auth::mechanism::plain, auth::mechanism::scram_sha_256, auth::mechanism::scram_sha_512}) {
    SCOPED_TRACE(std::string(auth::name(m)));
    scripted_broker broker(broker_mode::answer, 60'000);
    const auto r = run_login(broker, {m, "proxy", "secret"});
    ASSERT_TRUE(r);
    ASSERT_TRUE(*r) << r->error().message;
    EXPECT_EQ((*r)->session_lifetime_ms, 60'000);
  }
}

TEST(UpstreamLogin, AWrongPasswordFailsQuotingTheBroker) {
  for (auto m : {auth::mechanism::plain, auth::mechanism::scram_sha_512}) {
    SCOPED_TRACE(std::string(auth::name(m)));
    scripted_broker broker(broker_mode::answer, 0);
    const auto r = run_login(broker, {m, "proxy", "wrong"});
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().kind, login_failure_kind::rejected);
    EXPECT_NE(r->error().message.find("invalid credentials"), std::string::npos)
        << r->error().message;
    EXPECT_EQ(r->error().message.find("wrong"), std::string::npos) << "the password leaked";
  }
}

TEST(UpstreamLogin, ABrokerThatClosesFailsAsIo) {
  scripted_broker broker(broker_mode::close_at_once, 0);
  const auto r = run_login(broker, {auth::mechanism::scram_sha_512, "proxy", "secret"});
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().kind, login_failure_kind::io) << r->error().message;
}

TEST(UpstreamLogin, ASilentBrokerTimesOutAtTheDeadline) {
  scripted_broker broker(broker_mode::silent, 0);
  const auto r = run_login(broker, {auth::mechanism::scram_sha_512, "proxy", "secret"}, 300ms);
  ASSERT_TRUE(r) << "the login did not end";
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().kind, login_failure_kind::timed_out) << r->error().message;
}

}  // namespace
}  // namespace kpp::net
