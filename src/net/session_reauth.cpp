// KIP-368 under upstream.sasl: the broker gave the proxy's login a session lifetime, after
// which it closes the connection on the next request that is not a new login. At 85-95% of
// the lifetime the session renews the login on the same upstream connection, so the client's
// connection stays open:
//   1. pause: the client's requests wait (the request side's must_wait; the client is muted by
//      TCP backpressure, nothing is queued), while the answers owed to the client come back;
//   2. once nothing is in flight on the upstream leg, SaslHandshake v1 + SaslAuthenticate, as
//      at the dial, under correlation ids the proxy owns: the tracker marks them, and the
//      response pump hands their answers here (frame_verdict::consume) instead of to the client;
//   3. take the new lifetime and resume.
// The answers owed must be back by the session's expiry plus timeouts.dial, and the exchange
// must end within timeouts.dial; otherwise, or when the broker refuses, the session closes
// with one line quoting the broker (upstream_login_failed). No fallback that closes between
// requests is kept: a request the client is still sending when the renewal is due is finished first
// (the pause only holds frames that have not started), so nothing can stand in the renewal's way
// but a broker that does not answer, which the bounds cover.
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <limits>
#include <random>
#include <variant>

#include "kpp/admin/upstream_login_metrics.h"
#include "kpp/auth/reauthentication.h"
#include "kpp/auth/sasl_login.h"
#include "kpp/net/session.h"
#include "kpp/net/upstream_login.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using std::chrono::steady_clock;

namespace {

double jitter() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

bool session::upstream_between_requests() const noexcept {
  return !requests_.mid_frame && !requests_.writing && responses_done();
}

void session::reauth_wake() noexcept {
  if (reauth_.now != reauth_state::phase::idle && reauth_.timer) reauth_.timer->cancel();
}

awaitable<bool> session::reauth_wait(steady_clock::time_point deadline) {
  reauth_.timer->expires_at(deadline);
  error_code ec;
  co_await reauth_.timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !closed_;
}

// Logged and closed where the failure is seen, at once: a broker that refuses also closes
// the connection, and that end must not be reported before the broker's words.
void session::reauth_failed(const std::string& why) {
  if (closed_) return;
  admin::global_upstream_login_metrics().count(admin::reauthentication_outcome::failure);
  spdlog::warn(
      "{} closed: renewing the proxy's SASL {} login to upstream {} before the broker's session "
      "expired (KIP-368) failed: {} [upstream_login_failed]",
      peer(), auth::name(ctx_.upstream_login->mech), upstream_name_, why);
  close(close_reason::upstream_login_failed);
}

awaitable<void> session::reauthenticate() {
  auto self = shared_from_this();
  reauth_.timer = std::make_unique<asio::steady_timer>(client_->socket().get_executor());
  while (!closed_) {
    // The login just ended (at the dial, or the last renewal): its lifetime counts from here.
    const auto login_at = steady_clock::now();
    const auto plan =
        auth::plan_reauthentication(sasl_lifetime_ms_, jitter(), ctx_.settings.dial_timeout);
    if (!plan) co_return;  // the broker set no lifetime: the login never expires
    while (!closed_ && steady_clock::now() < login_at + plan->due) {
      if (!co_await reauth_wait(login_at + plan->due)) co_return;
    }
    // Shutting down, or the client has sent its last request: the session closes once the
    // answers owed are out, and a broker answers those even after the login expired.
    if (closed_ || draining_ || client_done_) co_return;
    if (!co_await reauthenticate_once(login_at + plan->give_up)) co_return;
  }
}

awaitable<bool> session::reauthenticate_once(steady_clock::time_point give_up) {
  auto self = shared_from_this();
  // However this ends, the client's requests flow again (a closed session stops them anyway).
  struct resume {
    session& s;
    ~resume() {
      s.reauth_.now = reauth_state::phase::idle;
      s.reauth_.login.reset();
      s.reauth_.renewed_lifetime_ms.reset();
      s.fifo_space_.cancel();
    }
  } resume_on_exit{*this};

  // 1. Pause, and wait until the upstream leg is between requests with nothing owed.
  reauth_.now = reauth_state::phase::pausing;
  // Answers the broker still owes hold the renewal as long as they take: a broker answers
  // them after the login expired too, and a JoinGroup may rightly wait minutes. Only a frame
  // half relayed (a request still being sent upstream, an answer still being read by the
  // client) is bounded: the broker closes on a request that ends after the expiry.
  while (!upstream_between_requests()) {
    const bool relaying =
        requests_.mid_frame || requests_.writing || responses_.mid_frame || responses_.writing;
    if (relaying && steady_clock::now() >= give_up) {
      reauth_failed(std::string(requests_.mid_frame || requests_.writing
                                    ? "a request was still being relayed upstream"
                                    : "an answer was still being relayed to the client") +
                    " at the session's expiry plus timeouts.dial (" +
                    std::to_string(ctx_.settings.dial_timeout.count()) + " ms)");
      co_return false;
    }
    if (!co_await reauth_wait(relaying ? give_up : steady_clock::time_point::max()))
      co_return false;
  }

  // 2. The login exchange; the response pump hands each answer to take_reauth_answer.
  reauth_.now = reauth_state::phase::exchanging;
  // Only the proxy's own answers arrive during the exchange: they are not client activity,
  // and must not keep an otherwise idle connection from timeouts.idle.
  const auto client_activity = responses_.last_read;
  const auto deadline = steady_clock::now() + ctx_.settings.dial_timeout;
  reauth_.login = std::make_unique<auth::sasl_login>(login_config_for(*ctx_.upstream_login));
  reauth_.rounds = 0;
  auto first = reauth_.login->start();
  if (!first) {
    reauth_failed(first.error().detail);
    co_return false;
  }
  if (!reauth_send(std::move(*first))) co_return false;
  while (!reauth_.renewed_lifetime_ms) {
    if (closed_) co_return false;
    if (steady_clock::now() >= deadline) {
      reauth_failed("the broker did not answer within timeouts.dial (" +
                    std::to_string(ctx_.settings.dial_timeout.count()) + " ms)");
      co_return false;
    }
    if (!co_await reauth_wait(deadline)) co_return false;
  }

  // 3. Renewed: the new lifetime counts from now, and so does the broker's turn to answer
  // what the client sent before the pause (timeouts.read).
  responses_.last_read = client_activity;
  read_clock_ = steady_clock::now();
  admin::global_upstream_login_metrics().count(admin::reauthentication_outcome::success);
  sasl_lifetime_ms_ = *reauth_.renewed_lifetime_ms;
  spdlog::debug("{} re-authenticated to upstream {}; the broker's SASL session now lasts {} ms",
                peer(), upstream_name_, sasl_lifetime_ms_);
  co_return true;
}

bool session::reauth_send(auth::login_request req) {
  // Handshake, then at most two SaslAuthenticate rounds (SCRAM); a bound in case of a bug.
  if (++reauth_.rounds > 4) {
    reauth_failed("the login did not end");
    return false;
  }
  const auto correlation = tracker_.proxy_correlation_id(reauth_.next_correlation);
  reauth_.next_correlation =
      correlation == std::numeric_limits<std::int32_t>::max() ? 0 : correlation + 1;
  if (!tracker_.on_proxy_request(req.api_key, req.api_version, correlation)) {
    reauth_failed("no room in the in-flight list (limits.max_in_flight)");
    return false;
  }
  protocol::byte_buffer frame;
  encode_login_step(frame, req, correlation);
  reauth_.step = std::move(req);
  reauth_.correlation = correlation;
  // Only the request pump writes upstream otherwise, and it is paused between frames. The
  // write runs on its own: the exchange's deadline bounds it too.
  spawn(reauth_write(std::move(frame)));
  return true;
}

awaitable<void> session::reauth_write(protocol::byte_buffer frame) {
  auto self = shared_from_this();
  requests_.writing = true;  // the watchdog's write timeout covers it as any upstream write
  requests_.write_started = steady_clock::now();
  const asio::const_buffer out[] = {asio::buffer(frame.data(), frame.size())};
  error_code ec;
  co_await upstream_->write(out, ec);
  requests_.writing = false;
  if (ec) reauth_failed("sending it failed: " + ec.message());
}

bool session::take_reauth_answer(protocol::bytes_view payload) {
  if (reauth_.now != reauth_state::phase::exchanging || !reauth_.login ||
      reauth_.renewed_lifetime_ms) {
    fail(protocol_error_cause::correlation_mismatch,
         "upstream " + upstream_name_ + " answered a re-authentication step not awaited");
    return false;
  }
  const auto body = login_answer_body(payload, reauth_.step, reauth_.correlation);
  if (!body) {
    reauth_failed("the broker's answer does not match the request");
    return false;
  }
  auto next = reauth_.login->on_response(*body);
  if (!next) {
    reauth_failed(next.error().detail);
    return false;
  }
  if (const auto* done = std::get_if<auth::login_success>(&*next)) {
    reauth_.renewed_lifetime_ms = done->session_lifetime_ms;
    reauth_wake();
    return true;
  }
  return reauth_send(std::get<auth::login_request>(std::move(*next)));
}

}  // namespace kpp::net
