#include "kpp/net/session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "kpp/net/deadline.h"
#include "kpp/net/proxy_protocol_reader.h"
#include "kpp/net/socket_options.h"
#include "kpp/net/tls_stream.h"
#include "kpp/net/traffic_classifier.h"
#include "kpp/net/upstream_dialer.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;
using protocol::bytes_view;

namespace {

std::atomic<std::uint64_t> next_connection_id{1};

// A TLS client that connected and spoke must finish its handshake within this.
constexpr std::chrono::seconds tls_handshake_deadline{10};

}  // namespace

session::session(proxy_context& ctx, tcp::socket client, upstream_target target,
                 std::shared_ptr<admin::listener_metrics> listener)
    : ctx_(ctx),
      client_(std::make_unique<plain_stream>(std::move(client))),
      upstream_(std::make_unique<plain_stream>(tcp::socket(client_->socket().get_executor()))),
      target_(std::move(target)),
      listener_(std::move(listener)),
      listener_guard_(listener_),
      id_(next_connection_id.fetch_add(1, std::memory_order_relaxed)),
      tracker_(ctx.settings.max_in_flight,
               [&ctx](std::int16_t key) { return ctx.is_forbidden(key); }),
      fifo_space_(client_->socket().get_executor()),
      pumps_done_(client_->socket().get_executor()),
      memory_wait_(client_->socket().get_executor()),
      started_(std::chrono::steady_clock::now()) {
  error_code ec;
  auto ep = client_->socket().remote_endpoint(ec);
  if (!ec) source_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

session::~session() {
  ctx_.sessions.remove(registry_id_);
}

// Each coroutine is spawned as it is, not wrapped in a lambda's coroutine: one frame less per
// pump, which an idle connection holds for its whole life. The handler keeps the session.
template <class F>
void session::spawn(F&& f) {
  asio::co_spawn(client_->socket().get_executor(), std::forward<F>(f),
                 [self = shared_from_this()](const std::exception_ptr& e) {
                   if (e) self->on_exception(e);
                 });
}

void session::start(std::shared_ptr<session> self) {
  self->registry_id_ = self->ctx_.sessions.add(self);
  self->spawn(self->run());
}

void session::on_exception(const std::exception_ptr& e) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    what = x.what();
  } catch (...) {
  }
  if (!closed_) {
    ctx_.metrics->count_protocol_error(protocol_error_cause::internal_error);
    spdlog::error("{} closed: internal error: {} [internal_error]", peer(), what);
    close(close_reason::internal_error);
  }
  // No flag may keep the rest of the session waiting for a coroutine that is gone.
  requests_.writing = responses_.writing = false;
  response_pump_running_ = false;
  pumps_done_.cancel();
  finish();
}

std::string session::peer() const {
  std::string p = "conn=" + std::to_string(id_) + " client=" + source_;
  if (!psc_id_.empty()) p += " psc_connection_id=" + psc_id_;
  if (listener_) p += " port=" + std::to_string(listener_->labels().port);
  return p;
}

void session::fail(protocol_error_cause cause, const std::string& what) {
  if (closed_) return;
  ctx_.metrics->count_protocol_error(cause);
  spdlog::warn("{} closed: {} [{}]", peer(), what, to_string(cause));
  close(close_reason::protocol_error);
}

void session::close(close_reason reason) {
  if (closed_) return;
  closed_ = true;
  reason_ = reason;
  client_->close();
  upstream_->close();
  fifo_space_.cancel();
  memory_wait_.cancel();
  if (reauth_.timer) reauth_.timer->cancel();
}

void session::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  ctx_.metrics->count_session_closed(reason_);
  spdlog::debug("{} closed ({})", peer(), to_string(reason_));
}

bool session::responses_done() const noexcept {
  return tracker_.awaiting() == 0 && !responses_.mid_frame && !responses_.writing;
}

void session::stop_between_requests(close_reason reason) {
  draining_ = true;
  drain_reason_ = reason;
  // Mid-response the response pump closes once the frame is out (and nothing else owed).
  if (responses_done()) close(reason);
}

void session::drain() {
  auto self = shared_from_this();
  asio::post(client_->socket().get_executor(),
             [self] { self->stop_between_requests(close_reason::shutdown); });
}

awaitable<void> session::run() {
  // The watchdog runs from the first moment: a client that connects and never speaks is idle.
  if (ctx_.settings.idle_timeout.count() > 0 || ctx_.settings.write_timeout.count() > 0 ||
      ctx_.settings.read_timeout.count() > 0)
    spawn(watchdog());
  const bool connected = (!ctx_.settings.proxy_protocol || co_await read_proxy_header()) &&
                         co_await classify_first_bytes() && co_await authenticate_client() &&
                         co_await dial();
  if (!connected) {
    finish();
    co_return;
  }
  spdlog::debug("{} connected to {}", peer(), upstream_name_);
  if (sasl_lifetime_ms_ > 0) spawn(reauthenticate());
  set_stream_options(upstream_->socket(), ctx_.settings.keepalive);
  error_code nb;
  client_->socket().non_blocking(true, nb);
  upstream_->socket().non_blocking(true, nb);

  response_pump_running_ = true;
  spawn(response_pump());  // tells pumps_done_ when it ends
  co_await request_pump();
  while (response_pump_running_) {
    pumps_done_.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ec;
    co_await pumps_done_.async_wait(redirect_error(use_awaitable, ec));
  }
  finish();
}

awaitable<bool> session::read_proxy_header() {
  proxy_protocol_reader reader(ctx_.settings);
  auto outcome = co_await reader.read(client_->socket());
  if (!outcome.ok) {
    fail(outcome.cause, outcome.message);
    co_return false;
  }
  if (!outcome.source.empty()) source_ = outcome.source;
  if (!outcome.psc_connection_id.empty()) {
    psc_id_ = outcome.psc_connection_id;
    psc_guard_ = admin::connection_guard(ctx_.metrics->psc_connection(psc_id_));
  }
  co_return true;
}

awaitable<bool> session::classify_first_bytes() {
  // Wait until the client speaks, then peek: TLS or HTTP on a Kafka port gets one clear line
  // instead of a confusing frame-size error. Dialing only now also means a port scan or a
  // TCP health check never opens an upstream connection.
  // A connection that never speaks is closed at timeouts.first_bytes: silent connections
  // (scans, a flood) cannot hold connection slots for long. Until it speaks, a new connection
  // at limits.max_connections may close it to take its place (the oldest silent one goes).
  const auto silent =
      ctx_.silent.add([weak = weak_from_this(), ex = client_->socket().get_executor()] {
        asio::post(ex, [weak] {
          if (auto self = weak.lock(); self && !self->closed_) {
            spdlog::debug(
                "{} closed: had sent nothing when a new connection needed its slot "
                "(limits.max_connections)",
                self->peer());
            self->close(close_reason::connection_limit);
          }
        });
      });
  auto wait_readable = [this](auto handler) {
    client_->socket().async_wait(tcp::socket::wait_read, std::move(handler));
  };
  auto cancel_wait = [this] {
    error_code ignored;
    client_->socket().cancel(ignored);
  };
  const auto deadline = std::chrono::steady_clock::now() + ctx_.settings.first_bytes_timeout;
  std::array<std::byte, 8> head{};
  std::size_t n = 0;
  while (n == 0) {
    auto waited = co_await with_deadline<error_code>(wait_readable, cancel_wait, deadline);
    if (waited.timed_out && !closed_) {
      spdlog::debug("{} closed: sent nothing within {} ms (timeouts.first_bytes)", peer(),
                    ctx_.settings.first_bytes_timeout.count());
      close(close_reason::first_bytes_timeout);
      co_return false;
    }
    if (std::get<0>(waited.values) || closed_) {
      close(close_reason::client_io_error);
      co_return false;
    }
    // Never a blocking peek: a readiness report can be spurious, and blocking here would
    // stall every connection of this thread.
    const auto peeked = ::recv(client_->socket().native_handle(), head.data(), head.size(),
                               MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0) {
      n = static_cast<std::size_t>(peeked);
    } else if (peeked == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close(close_reason::client_closed);
      co_return false;
    }
  }
  if (listener_tls()) co_return co_await client_tls_handshake(bytes_view(head.data(), n));
  if (auto m = classify_client_bytes(bytes_view(head.data(), n), ctx_.settings.max_frame_size)) {
    fail(m->cause, m->message);
    co_return false;
  }
  co_return true;
}

awaitable<bool> session::client_tls_handshake(bytes_view head) {
  if (auto m = classify_tls_listener_head(head, peer())) {
    admin::global_tls_metrics().count_handshake_failure(tls_leg::client, m->cause);
    fail(protocol_error_cause::plaintext_on_tls_listener, m->message);
    co_return false;
  }
  // The context current now serves this connection for its whole life (rotation swaps the
  // store's context for later handshakes only).
  auto tls = std::make_unique<tls_stream>(std::move(client_->socket()), listener_tls()->current());
  auto* stream = tls.get();
  client_ = std::move(tls);
  sni_verdict verdict;  // routing: sni; filled by the servername callback
  if (ctx_.sni) {
    verdict.known_node = [brokers = ctx_.brokers](std::int32_t id) {
      return brokers && brokers->upstream_of(id).has_value();
    };
    sni_router::attach(stream->native_handle(), &verdict);
  }
  error_code ec;
  co_await stream->handshake(ssl::stream_base::server, tls_handshake_deadline, ec);
  if (ctx_.sni) sni_router::detach(stream->native_handle());
  if (closed_) co_return false;
  const bool unknown_node =
      !ec && verdict.decided && verdict.route.type == sni_route::kind::unknown_node;
  if ((ec && verdict.decided && verdict.route.type == sni_route::kind::unrecognized) ||
      unknown_node) {
    std::vector<std::int32_t> known;
    if (ctx_.brokers)
      for (const auto& r : ctx_.brokers->snapshot())
        if (r.upstream) known.push_back(r.node_id);
    if (unknown_node) {
      fail(protocol_error_cause::unmapped_node, ctx_.sni->refusal(verdict, known));
    } else {
      admin::global_tls_metrics().count_handshake_failure(tls_leg::client,
                                                          tls_handshake_cause::unrecognized_name);
      fail(protocol_error_cause::tls_handshake_failed, ctx_.sni->refusal(verdict, known));
    }
    co_return false;
  }
  if (ec) {
    auto f = classify_handshake_error(ec, stream->native_handle(), tls_leg::client, peer());
    admin::global_tls_metrics().count_handshake_failure(tls_leg::client, f.cause);
    fail(protocol_error_cause::tls_handshake_failed,
         f.message + " [" + std::string(to_string(f.cause)) + "]");
    co_return false;
  }
  const auto sni = sni_of(stream->native_handle());
  spdlog::debug("{} TLS {} with SNI \"{}\"", peer(), SSL_get_version(stream->native_handle()), sni);
  if (target_.type == upstream_target::kind::sni && ctx_.sni)
    route_by_sni(verdict.decided ? verdict.route : ctx_.sni->resolve(sni));
  co_return true;
}

void session::route_by_sni(const sni_route& route) {
  if (route.type != sni_route::kind::broker) {
    target_.type = upstream_target::kind::bootstrap;  // keeps the bootstrap servers
    return;
  }
  target_ = {upstream_target::kind::broker, route.node_id, {}};
  if (!listener_) return;
  // Metrics stay per broker: the connection now counts under the broker's labels.
  listener_ = ctx_.metrics->listener(
      {admin::listener_kind::broker, listener_->labels().port, route.node_id});
  listener_guard_ = admin::connection_guard(listener_);
}

awaitable<bool> session::dial() {
  std::vector<routing::host_port> candidates;
  switch (target_.type) {
    case upstream_target::kind::broker:
      if (auto up = ctx_.brokers->upstream_of(target_.node_id)) candidates.push_back(*up);
      break;
    case upstream_target::kind::sni:  // routed after the handshake; never dialed as such
    case upstream_target::kind::bootstrap: {
      candidates = target_.addresses;
      // Spread new connections over the bootstrap servers; a dead one is skipped.
      const auto start = ctx_.rotation.fetch_add(1, std::memory_order_relaxed);
      if (!candidates.empty())
        std::rotate(candidates.begin(),
                    candidates.begin() + static_cast<long>(start % candidates.size()),
                    candidates.end());
      break;
    }
    case upstream_target::kind::fixed:
      candidates = target_.addresses;
      break;
  }
  if (candidates.empty()) {
    ctx_.metrics->count_dial_error();
    spdlog::warn("{} closed: broker {} has no known upstream address (not in the last metadata)",
                 peer(), target_.node_id);
    close(close_reason::upstream_dial_failed);
    co_return false;
  }
  std::string errors;
  const upstream_dialer dialer({.timeout = ctx_.settings.dial_timeout,
                                .tls = ctx_.upstream_tls,
                                .login = ctx_.upstream_login});
  for (const auto& candidate : candidates) {
    // Closed meanwhile (idle timeout, drain): connecting now would open a socket that
    // nothing ever closes.
    if (closed_) co_return false;
    const auto address = ctx_.dial_address(candidate);
    // The certificate names the broker, not the address a dial mapping rewrote it to.
    auto err = co_await dialer.connect(upstream_, address, candidate.host, &sasl_lifetime_ms_);
    if (closed_) {
      upstream_->close();  // a connect that finished after the close reopened the socket
      co_return false;
    }
    if (!err) {
      upstream_name_ = address.str();
      co_return true;
    }
    ctx_.metrics->count_dial_error();
    if (err->code == dial_errc::login_failed) {
      // Refused credentials fail on every broker alike: say so once, quoting the broker.
      spdlog::warn("{} closed: {}", peer(), err->message);
      close(close_reason::upstream_login_failed);
      co_return false;
    }
    errors += (errors.empty() ? "" : "; ") + err->message;
  }
  spdlog::warn("{} closed: cannot reach upstream ({})", peer(), errors);
  close(close_reason::upstream_dial_failed);
  co_return false;
}

// An answer is owed (or one is half read) for requests sent whole, and only the broker can move
// things on: no write is under way either way, the response side is not waiting for assembly
// memory, and the proxy is not in its own login exchange (bounded by timeouts.dial). timeouts.read
// then counts from the last byte either side sent: a client still sending gives it time.
bool session::brokers_turn() const noexcept {
  return (tracker_.awaiting() > 0 || responses_.mid_frame) && !requests_.mid_frame &&
         !requests_.writing && !responses_.writing && !responses_.waiting_memory &&
         reauth_.now != reauth_state::phase::exchanging;
}

awaitable<void> session::watchdog() {
  auto self = shared_from_this();
  asio::steady_timer timer(client_->socket().get_executor());
  const auto idle = ctx_.settings.idle_timeout;
  const auto write = ctx_.settings.write_timeout;
  const auto read = ctx_.settings.read_timeout;
  auto tick = std::chrono::milliseconds(1000);
  for (const auto limit : {idle, write, read})
    if (limit.count() > 0)
      tick = std::min(tick, std::max(limit / 4, std::chrono::milliseconds(10)));
  const auto stalled = [&](const direction_state& d, std::chrono::steady_clock::time_point now) {
    return write.count() > 0 && d.writing && now - d.write_started >= write;
  };
  while (!closed_) {
    timer.expires_after(tick);
    error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (closed_) break;
    const auto now = std::chrono::steady_clock::now();
    const auto last = std::max({started_, requests_.last_read, responses_.last_read});
    // acks=0 Produce requests are never answered: they do not keep a connection busy.
    const bool quiet = tracker_.awaiting() == 0 && !requests_.mid_frame && !responses_.mid_frame &&
                       !requests_.writing && !responses_.writing;
    if (idle.count() > 0 && quiet && now - last >= idle) {
      ctx_.metrics->count_protocol_error(protocol_error_cause::idle_timeout);
      spdlog::info("{} closed: idle for {} ms with nothing in flight (timeouts.idle)", peer(),
                   idle.count());
      close(close_reason::idle_timeout);
    } else if (stalled(responses_, now)) {
      spdlog::warn("{} closed: a write to the client stalled for {} ms (timeouts.write)", peer(),
                   write.count());
      close(close_reason::client_io_error);
    } else if (stalled(requests_, now)) {
      spdlog::warn("{} closed: a write to upstream {} stalled for {} ms (timeouts.write)", peer(),
                   upstream_name_, write.count());
      close(close_reason::upstream_io_error);
    } else if (read.count() > 0 && brokers_turn() &&
               now - std::max({requests_.last_read, responses_.last_read, read_clock_}) >= read) {
      spdlog::warn(
          "{} closed: upstream {} sent nothing for {} ms while it owed an answer ({} request(s) "
          "in flight; timeouts.read: raise it above the clients' longest broker-side wait, e.g. "
          "JoinGroup's rebalance timeout)",
          peer(), upstream_name_, read.count(), tracker_.in_flight());
      close(close_reason::upstream_io_error);
    }
  }
}

}  // namespace kpp::net
