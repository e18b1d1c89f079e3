#include "support/scripted_sasl_broker.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "kpp/auth/sasl_server_session.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/wire_writer.h"
#include "support/ports.h"
#include "support/raw_client.h"

namespace kpp::test {

namespace {

using clock = std::chrono::steady_clock;
namespace api = protocol::api_key;

constexpr std::int16_t sasl_authentication_failed = 58;
constexpr std::int16_t unsupported_version = 35;

void put_string(bytes& b, const std::string& s) {
  put_i16(b, static_cast<std::int16_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

// ApiVersions v0 body: what this broker speaks.
bytes api_versions_body(std::int16_t error) {
  const std::int16_t ranges[][3] = {{api::produce, 0, 3},
                                    {api::metadata, 0, 1},
                                    {api::sasl_handshake, 0, 1},
                                    {api::api_versions, 0, 0},
                                    {api::sasl_authenticate, 0, 2}};
  bytes b;
  put_i16(b, error);
  put_i32(b, static_cast<std::int32_t>(std::size(ranges)));
  for (const auto& r : ranges) {
    put_i16(b, r[0]);
    put_i16(b, r[1]);
    put_i16(b, r[2]);
  }
  return b;
}

// Metadata v0/v1 body: this broker as node 1, no topics.
bytes metadata_body(std::int16_t version, std::uint16_t port) {
  bytes b;
  put_i32(b, 1);  // brokers
  put_i32(b, 1);  // node_id
  put_string(b, "127.0.0.1");
  put_i32(b, port);
  if (version >= 1) {
    put_i16(b, -1);  // rack: null
    put_i32(b, 1);   // controller_id
  }
  put_i32(b, 0);  // topics
  return b;
}

// Produce v0-3 body: no topics answered.
bytes produce_body(std::int16_t version) {
  bytes b;
  put_i32(b, 0);                    // responses
  if (version >= 1) put_i32(b, 0);  // throttle_time_ms
  return b;
}

}  // namespace

struct scripted_sasl_broker::connection {
  int fd = -1;
  bytes in;
  struct answer {
    clock::time_point ready;
    bytes frame;
  };
  std::deque<answer> pending;  // in request order: Kafka answers a connection in order
  bytes out;
  std::size_t out_at = 0;
  bool authenticated = false;
  clock::time_point expiry{};
  int logins = 0;                                   // successful
  int login_attempts = 0;                           // SaslHandshakes taken
  std::unique_ptr<auth::sasl_server_session> sasl;  // a login under way
  bool produce = false;
  bool close_after_flush = false;
};

std::string scripted_sasl_broker_stats::describe() const {
  return "broker: connections=" + std::to_string(connections) +
         " requests=" + std::to_string(requests) + " logins=" + std::to_string(logins) +
         " connections_with_produce=" + std::to_string(connections_with_produce) +
         " max_logins_on_a_produce_connection=" +
         std::to_string(max_logins_on_a_produce_connection) +
         " closed_expired=" + std::to_string(closed_expired) +
         " closed_unauthenticated=" + std::to_string(closed_unauthenticated) +
         " handshakes_with_answers_owed=" + std::to_string(handshakes_with_answers_owed) +
         " rejected=" + std::to_string(rejected);
}

scripted_sasl_broker::scripted_sasl_broker(scripted_sasl_broker_options options)
    : options_(std::move(options)) {
  fd_ = listen_loopback(port_, "scripted SASL broker");
  thread_ = std::thread([this] { serve(); });
}

scripted_sasl_broker::~scripted_sasl_broker() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

scripted_sasl_broker_stats scripted_sasl_broker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool scripted_sasl_broker::on_request(connection& c, const std::string& payload_chars) {
  const protocol::bytes_view payload(reinterpret_cast<const std::byte*>(payload_chars.data()),
                                     payload_chars.size());
  auto header = protocol::decode_request_header(payload);
  if (!header) return false;
  const auto body = payload.subspan(header->size);
  const auto now = clock::now();
  const auto answer = [&](const protocol::byte_buffer& b, clock::time_point at) {
    const auto hv = protocol::response_header_version(header->api_key, header->api_version);
    const bool flexible = hv && *hv >= 1;
    protocol::byte_buffer frame;
    protocol::wire_writer w(frame);
    w.i32(static_cast<std::int32_t>(4 + (flexible ? 1 : 0) + b.size()));
    w.i32(header->correlation_id);
    if (flexible) w.uvarint(0);
    w.raw(b);
    bytes f(frame.size());
    std::transform(frame.begin(), frame.end(), f.begin(),
                   [](std::byte x) { return static_cast<std::uint8_t>(x); });
    c.pending.push_back({at, std::move(f)});
  };
  const auto answer_bytes = [&](const bytes& b, clock::time_point at) {
    protocol::byte_buffer buf(b.size());
    std::transform(b.begin(), b.end(), buf.begin(), [](std::uint8_t x) { return std::byte(x); });
    answer(buf, at);
  };
  std::lock_guard lock(mutex_);
  ++stats_.requests;
  const auto note_logins = [&] {
    if (c.produce)
      stats_.max_logins_on_a_produce_connection =
          std::max(stats_.max_logins_on_a_produce_connection, c.logins);
  };

  switch (header->api_key) {
    case api::api_versions:  // allowed before a login (KIP-511: v0 answer to newer versions)
      answer_bytes(api_versions_body(header->api_version == 0 ? 0 : unsupported_version), now);
      return true;
    case api::sasl_handshake: {
      if (c.sasl) return false;  // a login is under way already
      if (c.authenticated && !c.pending.empty()) ++stats_.handshakes_with_answers_owed;
      ++c.login_attempts;
      if (options_.silent_login == c.login_attempts) return true;  // read, never answered
      auth::sasl_server_config cfg;
      cfg.enabled = {auth::mechanism::plain, auth::mechanism::scram_sha_256,
                     auth::mechanism::scram_sha_512};
      cfg.session_lifetime_ms = options_.session_lifetime_ms;
      auto lookup = [user = options_.user, password = options_.password](
                        std::string_view name,
                        auth::mechanism m) -> std::optional<auth::scram_credential> {
        if (name != user) return std::nullopt;
        const auto mech = m == auth::mechanism::plain ? auth::mechanism::scram_sha_512 : m;
        auto cred = auth::make_scram_credential(mech, password, "scripted-salt", 4096);
        return cred ? std::optional(*cred) : std::nullopt;
      };
      c.sasl = std::make_unique<auth::sasl_server_session>(cfg, lookup);
      auto reply = c.sasl->on_request(header->api_key, header->api_version, body);
      if (!reply) return false;
      answer(reply->body, now);
      if (reply->outcome) c.close_after_flush = true;  // a mechanism not enabled
      return true;
    }
    case api::sasl_authenticate: {
      if (!c.sasl) return false;
      if (options_.reject_login == c.login_attempts) {
        protocol::sasl_authenticate_response r;
        r.error_code = sasl_authentication_failed;
        r.error_message = options_.reject_message;
        protocol::byte_buffer b;
        if (!protocol::encode_sasl_authenticate_response(r, header->api_version, b)) return false;
        answer(b, now);
        ++stats_.rejected;
        c.sasl.reset();
        c.authenticated = false;
        c.close_after_flush = true;
        return true;
      }
      auto reply = c.sasl->on_request(header->api_key, header->api_version, body);
      if (!reply) return false;
      answer(reply->body, now);
      if (reply->outcome) {
        c.sasl.reset();
        if (*reply->outcome == auth::login_outcome::success) {
          c.authenticated = true;
          c.expiry = now + std::chrono::milliseconds(options_.session_lifetime_ms);
          ++c.logins;
          ++stats_.logins;
          note_logins();
        } else {
          c.close_after_flush = true;
        }
      }
      return true;
    }
    default:
      break;
  }
  if (!c.authenticated) {
    ++stats_.closed_unauthenticated;
    return false;
  }
  if (c.sasl) return false;  // a request in the middle of a re-authentication
  if (options_.session_lifetime_ms > 0 && now >= c.expiry + options_.expiry_grace) {
    ++stats_.closed_expired;
    return false;
  }
  const auto later = now + options_.answer_delay;
  switch (header->api_key) {
    case api::metadata:
      if (header->api_version > 1) return false;
      answer_bytes(metadata_body(header->api_version, port_), later);
      return true;
    case api::produce:
      if (header->api_version > 3) return false;
      if (!c.produce) {
        c.produce = true;
        ++stats_.connections_with_produce;
        note_logins();
      }
      answer_bytes(produce_body(header->api_version), later);
      return true;
    default:
      return false;
  }
}

void scripted_sasl_broker::serve() {
  std::vector<std::unique_ptr<connection>> conns;
  while (!stop_) {
    // Answers whose time has come move to the output, in order.
    auto wait = std::chrono::milliseconds(20);
    const auto now = clock::now();
    for (auto& c : conns) {
      while (!c->pending.empty() && c->pending.front().ready <= now) {
        auto& f = c->pending.front().frame;
        c->out.insert(c->out.end(), f.begin(), f.end());
        c->pending.pop_front();
      }
      if (!c->pending.empty())
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  c->pending.front().ready - now) +
                                  std::chrono::milliseconds(1));
    }
    std::vector<pollfd> ps{{fd_, POLLIN, 0}};
    for (auto& c : conns)
      ps.push_back(
          {c->fd, static_cast<short>(POLLIN | (c->out_at < c->out.size() ? POLLOUT : 0)), 0});
    if (::poll(ps.data(), ps.size(), static_cast<int>(wait.count())) < 0) continue;
    if (ps[0].revents & POLLIN) {
      const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        auto c = std::make_unique<connection>();
        c->fd = fd;
        conns.push_back(std::move(c));
        std::lock_guard lock(mutex_);
        ++stats_.connections;
      }
    }
    for (std::size_t i = 0; i < conns.size(); ++i) {
      auto& c = *conns[i];
      const auto re = i + 1 < ps.size() ? ps[i + 1].revents : 0;
      bool gone = false;
      if (re & (POLLIN | POLLHUP | POLLERR)) {
        std::uint8_t chunk[65536];
        const auto got = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (got <= 0) {
          gone = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        } else {
          c.in.insert(c.in.end(), chunk, chunk + got);
          while (!gone && c.in.size() >= 4) {
            const auto size = static_cast<std::uint32_t>(get_i32(c.in, 0));
            if (size > (1u << 20)) gone = true;
            if (gone || c.in.size() < 4 + std::size_t{size}) break;
            const std::string payload(c.in.begin() + 4, c.in.begin() + 4 + size);
            c.in.erase(c.in.begin(), c.in.begin() + 4 + size);
            if (c.close_after_flush) continue;  // Kafka reads nothing more after a failure
            if (!on_request(c, payload)) gone = true;
          }
        }
      }
      if (!gone && c.out_at < c.out.size()) {
        const auto sent =
            ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
        if (sent > 0) c.out_at += static_cast<std::size_t>(sent);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) gone = true;
        if (c.out_at == c.out.size()) {
          c.out.clear();
          c.out_at = 0;
        }
      }
      if (c.close_after_flush && c.pending.empty() && c.out.empty()) gone = true;
      if (gone) {
        ::close(c.fd);
        conns.erase(conns.begin() + static_cast<long>(i));
        --i;
      }
    }
  }
  for (auto& c : conns) ::close(c->fd);
}

}  // namespace kpp::test
