// listeners.sasl: the session answers ApiVersions, SaslHandshake and SaslAuthenticate itself
// before it dials anything, so an unauthenticated client never reaches a broker. Any other
// request first closes the connection. Failed logins are answered only after the source's
// brute-force delay; the principal is logged once, on success.
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "kpp/admin/client_auth_metrics.h"
#include "kpp/net/client_authenticator.h"
#include "kpp/net/deadline.h"
#include "kpp/net/session.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using protocol::bytes_view;

namespace {

// A login is a handful of small frames: bounds on its size, its length and its time.
constexpr std::uint32_t max_login_frame = 64u << 10;
constexpr int max_login_frames = 8;
constexpr std::chrono::seconds login_deadline{30};

admin::client_auth_outcome metric_of(auth::login_outcome o) {
  switch (o) {
    case auth::login_outcome::success:
      return admin::client_auth_outcome::success;
    case auth::login_outcome::bad_password:
      return admin::client_auth_outcome::bad_password;
    case auth::login_outcome::unknown_user:
      return admin::client_auth_outcome::unknown_user;
    case auth::login_outcome::unsupported_mechanism:
      return admin::client_auth_outcome::mechanism;
    case auth::login_outcome::malformed:
      break;
  }
  return admin::client_auth_outcome::malformed;
}

std::string_view outcome_words(auth::login_outcome o) {
  switch (o) {
    case auth::login_outcome::success:
      return "success";
    case auth::login_outcome::bad_password:
      return "wrong password";
    case auth::login_outcome::unknown_user:
      return "unknown user";
    case auth::login_outcome::unsupported_mechanism:
      return "a mechanism this listener does not enable";
    case auth::login_outcome::malformed:
      break;
  }
  return "a malformed SASL message";
}

std::string address_only(const std::string& source) {
  const auto colon = source.rfind(':');
  return colon == std::string::npos ? source : source.substr(0, colon);
}

}  // namespace

awaitable<void> session::write_login_answer(std::int16_t key, std::int16_t version,
                                            std::int32_t correlation,
                                            const protocol::byte_buffer& body, error_code& ec) {
  const auto hv = protocol::response_header_version(key, version);
  const bool flexible = hv && *hv >= 1;
  protocol::byte_buffer frame;
  protocol::wire_writer w(frame);
  w.i32(static_cast<std::int32_t>(4 + (flexible ? 1 : 0) + body.size()));
  w.i32(correlation);
  if (flexible) w.uvarint(0);  // response header v1: no tagged fields
  w.raw(body);
  const asio::const_buffer out[] = {asio::buffer(frame.data(), frame.size())};
  co_await client_->write(out, ec);
}

// What the login exchange ended with: logged in, or closed (already logged and counted).
awaitable<bool> session::client_login_exchange() {
  auto& authn = *ctx_.client_auth;
  auto& metrics = admin::global_client_auth_metrics();
  authn.refresh_users();
  auto login = authn.start_login();
  error_code ec;
  for (int n = 0; n < max_login_frames; ++n) {
    std::array<std::uint8_t, 4> size_bytes{};
    co_await client_->read_exactly(asio::buffer(size_bytes), ec);
    if (ec) {
      close(close_reason::client_closed);
      co_return false;
    }
    const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) |
                               (std::uint32_t{size_bytes[1]} << 16) |
                               (std::uint32_t{size_bytes[2]} << 8) | std::uint32_t{size_bytes[3]};
    if (size < 8 || size > max_login_frame) {
      fail(protocol_error_cause::malformed_header,
           "a " + std::to_string(size) +
               "-byte frame before SASL login (listeners.sasl); expected ApiVersions, "
               "SaslHandshake or SaslAuthenticate");
      co_return false;
    }
    protocol::byte_buffer payload(size);
    co_await client_->read_exactly(asio::buffer(payload.data(), payload.size()), ec);
    if (ec) {
      close(close_reason::client_closed);
      co_return false;
    }
    const auto header = protocol::decode_request_header(payload);
    if (!header) {
      fail(protocol_error_cause::malformed_header,
           "undecodable request header before SASL login: " + header.error().describe());
      co_return false;
    }
    const auto key = header->api_key;
    const auto version = header->api_version;
    const auto body = bytes_view(payload).subspan(header->size);
    if (key == protocol::api_key::api_versions) {
      protocol::byte_buffer answer;
      authn.encode_api_versions(version, answer);
      co_await write_login_answer(key, version, header->correlation_id, answer, ec);
      if (ec) {
        close(close_reason::client_io_error);
        co_return false;
      }
      continue;
    }
    if (key != protocol::api_key::sasl_handshake && key != protocol::api_key::sasl_authenticate) {
      metrics.count_request_before_auth();
      fail(protocol_error_cause::request_before_login,
           "request API " + std::to_string(key) +
               " before SASL authentication; this listener requires a SASL login "
               "(listeners.sasl): configure the client with sasl.mechanism and credentials");
      co_return false;
    }
    auto reply = login->on_request(key, version, body);
    if (!reply) {
      metrics.count(admin::client_auth_outcome::malformed);
      fail(protocol_error_cause::malformed_header, "SASL login: " + reply.error().detail);
      co_return false;
    }
    if (reply->outcome && *reply->outcome != auth::login_outcome::success) {
      metrics.count(metric_of(*reply->outcome));
      // The brake: the answer to a failed attempt waits, longer with each failure.
      const auto delay = authn.failed(address_only(source_));
      asio::steady_timer wait(client_->socket().get_executor(), delay);
      error_code ignored;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (closed_) co_return false;
      co_await write_login_answer(key, version, header->correlation_id, reply->body, ec);
      ctx_.metrics->count_protocol_error(protocol_error_cause::client_login_failed);
      spdlog::warn("{} closed: SASL login failed: {} (answered after {} ms) [client_login_failed]",
                   peer(), outcome_words(*reply->outcome), delay.count());
      close(close_reason::client_login_failed);
      co_return false;
    }
    co_await write_login_answer(key, version, header->correlation_id, reply->body, ec);
    if (ec) {
      close(close_reason::client_io_error);
      co_return false;
    }
    if (reply->outcome) {  // success
      metrics.count(admin::client_auth_outcome::success);
      authn.succeeded(address_only(source_));
      principal_ = reply->principal;
      spdlog::info("{} authenticated as \"{}\"", peer(), principal_);
      co_return true;
    }
  }
  fail(protocol_error_cause::malformed_header,
       "no SASL login after " + std::to_string(max_login_frames) + " requests");
  co_return false;
}

awaitable<bool> session::authenticate_client() {
  if (!ctx_.client_auth) co_return true;
  auto self = shared_from_this();
  error_code nb;
  client_->socket().non_blocking(true, nb);  // the stream reads before it waits
  auto ex = client_->socket().get_executor();
  auto start = [this, &ex](auto handler) {
    asio::co_spawn(ex, client_login_exchange(), std::move(handler));
  };
  // At the deadline: say why, then close (which ends the exchange's read).
  auto cancel = [this] {
    if (closed_) return;
    admin::global_client_auth_metrics().count(admin::client_auth_outcome::malformed);
    spdlog::warn("{} closed: no SASL login within {} s (listeners.sasl)", peer(),
                 login_deadline.count());
    close(close_reason::client_login_failed);
  };
  const auto deadline = std::chrono::steady_clock::now() + login_deadline;
  auto r = co_await with_deadline<std::exception_ptr, bool>(start, cancel, deadline);
  if (r.timed_out) co_return false;
  if (auto e = std::get<0>(r.values)) std::rethrow_exception(e);
  co_return std::get<1>(r.values) && !closed_;
}

}  // namespace kpp::net
