// A session behind upstream.sasl: the proxy logged in to the broker for the client, so the
// client must not send SASL itself, and the connection must end (between requests) before the
// broker's SASL session expires. KIP-368 re-authentication on a live connection is not done:
// a re-authentication exchange would have to be slotted between the client's requests on the
// upstream leg; instead the session stops taking requests at 85-95% of the lifetime, lets the
// answers owed go back, and closes, so the client reconnects (a fresh login) with nothing lost.
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/reauthentication.h"
#include "kpp/net/session.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using protocol::bytes_view;

namespace {

std::int32_t load_be32(bytes_view b, std::size_t at) {
  return static_cast<std::int32_t>((std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) |
                                   (std::uint32_t(b[at + 2]) << 8) | std::uint32_t(b[at + 3]));
}

std::int16_t load_be16(bytes_view b, std::size_t at) {
  return static_cast<std::int16_t>((std::uint16_t(b[at]) << 8) | std::uint16_t(b[at + 1]));
}

double jitter() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

void session::stop_between_requests(close_reason reason) {
  draining_ = true;
  drain_reason_ = reason;
  // Mid-response the response pump closes once the frame is out (and nothing else owed).
  if (responses_done()) close(reason);
}

awaitable<void> session::login_expiry() {
  auto self = shared_from_this();
  const auto delay = auth::reauthentication_delay(sasl_lifetime_ms_, jitter());
  if (!delay) co_return;
  if (closed_) co_return;
  login_timer_ = std::make_unique<asio::steady_timer>(client_->socket().get_executor());
  login_timer_->expires_after(*delay);
  error_code ec;
  co_await login_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (closed_ || draining_) co_return;
  spdlog::info(
      "{} upstream {}: the broker's SASL session ends in {} ms (its connections.max.reauth.ms); "
      "closing this connection between requests so the client reconnects and the proxy logs in "
      "again (re-authentication on a live connection is not implemented)",
      peer(), upstream_name_, sasl_lifetime_ms_ - delay->count());
  stop_between_requests(close_reason::upstream_login_expiring);
}

frame_outcome session::check_client_sasl(bytes_view head, std::size_t /*frame_size*/) {
  frame_outcome o;
  if (head.size() < 2) return o;  // the tracker judges a frame too short for a header
  const auto key = load_be16(head, 0);
  if (key != protocol::api_key::sasl_handshake && key != protocol::api_key::sasl_authenticate)
    return o;             // forward
  if (head.size() < 8) {  // the correlation id is not here yet
    o.verdict = frame_verdict::need_more;
    o.need = 8;
    return o;
  }
  client_sasl_ = client_sasl_request{key, load_be16(head, 2), load_be32(head, 4)};
  o.verdict = frame_verdict::fail;  // stops the request pump; request_pump answers
  return o;
}

awaitable<void> session::refuse_client_sasl() {
  auto self = shared_from_this();
  const auto req = *client_sasl_;
  ctx_.metrics->count_protocol_error(protocol_error_cause::client_sasl_refused);
  spdlog::warn(
      "{} closed: the client sent {} but this proxy logs in to the brokers itself "
      "(upstream.sasl); configure the client without SASL (security.protocol PLAINTEXT, or SSL "
      "on a TLS listener) [client_sasl_refused]",
      peer(),
      req.api_key == protocol::api_key::sasl_handshake ? "SaslHandshake" : "SaslAuthenticate");
  // Answered only when nothing else is owed to the client, so the answer stays in order.
  if (responses_done()) {
    protocol::byte_buffer body;
    bool ok = false;
    bool flexible = false;
    if (req.api_key == protocol::api_key::sasl_handshake && req.api_version >= 0 &&
        req.api_version <= protocol::sasl_handshake_max_version) {
      ok = static_cast<bool>(protocol::encode_sasl_handshake_response(
          {auth::kafka_error::unsupported_sasl_mechanism, {}}, req.api_version, body));
    } else if (req.api_key == protocol::api_key::sasl_authenticate && req.api_version >= 0 &&
               req.api_version <= protocol::sasl_authenticate_max_version) {
      protocol::sasl_authenticate_response resp;
      resp.error_code = auth::kafka_error::illegal_sasl_state;
      resp.error_message = "this proxy authenticates to the brokers itself; connect without SASL";
      ok = static_cast<bool>(
          protocol::encode_sasl_authenticate_response(resp, req.api_version, body));
      flexible = req.api_version >= protocol::sasl_authenticate_first_flexible;
    }
    if (ok) {
      protocol::byte_buffer frame;
      protocol::wire_writer w(frame);
      w.i32(static_cast<std::int32_t>(4 + (flexible ? 1 : 0) + body.size()));
      w.i32(req.correlation_id);
      if (flexible) w.uvarint(0);  // response header v1: no tagged fields
      w.raw(body);
      error_code ec;
      const asio::const_buffer out[] = {asio::buffer(frame.data(), frame.size())};
      co_await client_->write(out, ec);
    }
  }
  close(close_reason::protocol_error);
}

}  // namespace kpp::net
