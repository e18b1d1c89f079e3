// A session behind upstream.sasl: the proxy logged in to the broker for the client, so the
// client must not send SASL itself. (Renewing the login: session_reauth.cpp.)
#include <spdlog/spdlog.h>

#include "kpp/auth/kafka_sasl_errors.h"
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

}  // namespace

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
