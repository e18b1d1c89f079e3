#include "kpp/net/upstream_login.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <exception>
#include <optional>
#include <variant>

#include "kpp/auth/sasl_login.h"
#include "kpp/net/deadline.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_header.h"

namespace kpp::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// A SASL answer is a few hundred bytes; anything near this is not one.
constexpr std::uint32_t max_answer_size = 1u << 20;
constexpr std::string_view client_id = "kafka-psc-proxy";

struct exchange_out {
  std::optional<login_failure> failure;
  std::int64_t session_lifetime_ms = 0;
};

login_failure failed(login_failure_kind kind, std::string message) {
  return {kind, std::move(message)};
}

// Sends one request and returns the body of its answer (after the response header).
asio::awaitable<std::optional<login_failure>> round_trip(byte_stream& stream,
                                                         const auth::login_request& req,
                                                         std::int32_t correlation,
                                                         protocol::byte_buffer& body) {
  protocol::byte_buffer frame;
  encode_login_step(frame, req, correlation);
  error_code ec;
  const asio::const_buffer out[] = {asio::buffer(frame.data(), frame.size())};
  co_await stream.write(out, ec);
  if (ec) co_return failed(login_failure_kind::io, "sending the login failed: " + ec.message());
  std::array<std::uint8_t, 4> size_bytes{};
  co_await stream.read_exactly(asio::buffer(size_bytes), ec);
  if (ec)
    co_return failed(login_failure_kind::io,
                     ec == asio::error::eof
                         ? "the broker closed the connection during the login (wrong "
                           "credentials or mechanism? see the broker's log)"
                         : "reading the broker's answer failed: " + ec.message());
  const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) |
                             (std::uint32_t{size_bytes[1]} << 16) |
                             (std::uint32_t{size_bytes[2]} << 8) | std::uint32_t{size_bytes[3]};
  if (size < 4 || size > max_answer_size)
    co_return failed(login_failure_kind::protocol, "the broker's answer has an implausible size (" +
                                                       std::to_string(size) +
                                                       " bytes); is this a Kafka listener?");
  protocol::byte_buffer payload(size);
  co_await stream.read_exactly(asio::buffer(payload.data(), payload.size()), ec);
  if (ec)
    co_return failed(login_failure_kind::io,
                     "the broker closed the connection during the login: " + ec.message());
  const auto answer = login_answer_body(payload, req, correlation);
  if (!answer)
    co_return failed(login_failure_kind::protocol,
                     "the broker's answer to the login does not match the request");
  body.assign(answer->begin(), answer->end());
  co_return std::nullopt;
}

asio::awaitable<exchange_out> exchange(byte_stream& stream, const upstream_login_settings& s) {
  exchange_out out;
  auth::sasl_login driver(login_config_for(s));
  auto first = driver.start();
  if (!first) {
    out.failure = failed(login_failure_kind::protocol, first.error().detail);
    co_return out;
  }
  auth::login_request req = std::move(*first);
  protocol::byte_buffer body;
  // Handshake, then at most two SaslAuthenticate rounds (SCRAM); a bound in case of a bug.
  for (std::int32_t correlation = 1; correlation <= 4; ++correlation) {
    auto sent = co_await round_trip(stream, req, correlation, body);
    if (sent) {
      out.failure = std::move(sent);
      co_return out;
    }
    auto step = driver.on_response(body);
    if (!step) {
      const auto kind = step.error().code == auth::auth_errc::broker_rejected
                            ? login_failure_kind::rejected
                            : login_failure_kind::protocol;
      out.failure = failed(kind, step.error().detail);
      co_return out;
    }
    if (auto* done = std::get_if<auth::login_success>(&*step)) {
      out.session_lifetime_ms = done->session_lifetime_ms;
      co_return out;
    }
    req = std::get<auth::login_request>(std::move(*step));
  }
  out.failure = failed(login_failure_kind::protocol, "the login did not end");
  co_return out;
}

}  // namespace

auth::login_config login_config_for(const upstream_login_settings& settings) {
  return {settings.mech, settings.username, settings.password, upstream_authenticate_version,
          std::string{}};
}

void encode_login_step(protocol::byte_buffer& frame, const auth::login_request& req,
                       std::int32_t correlation) {
  protocol::encode_request_frame(frame, req.api_key, req.api_version, correlation, client_id,
                                 req.body);
}

std::optional<protocol::bytes_view> login_answer_body(protocol::bytes_view payload,
                                                      const auth::login_request& req,
                                                      std::int32_t correlation) {
  const auto hv = protocol::response_header_version(req.api_key, req.api_version);
  const auto header = protocol::decode_response_header(payload, hv ? *hv : std::int16_t{0});
  if (!header || header->correlation_id != correlation) return std::nullopt;
  return payload.subspan(header->size);
}

asio::awaitable<common::result<login_done, login_failure>> login_upstream(
    byte_stream& stream, const upstream_login_settings& settings,
    std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  error_code ignored;
  // plain_stream reads before it waits: a blocking socket would stall the thread.
  stream.socket().non_blocking(true, ignored);
  auto start = [&](auto handler) {
    asio::co_spawn(ex, exchange(stream, settings), std::move(handler));
  };
  auto cancel = [&stream] { stream.close(); };
  auto r = co_await with_deadline<std::exception_ptr, exchange_out>(start, cancel, deadline);
  if (r.timed_out)
    co_return failed(login_failure_kind::timed_out,
                     "the SASL login did not finish in time (timeouts.dial)");
  if (auto e = std::get<0>(r.values)) std::rethrow_exception(e);
  auto& out = std::get<1>(r.values);
  if (out.failure) co_return std::move(*out.failure);
  co_return login_done{out.session_lifetime_ms};
}

}  // namespace kpp::net
