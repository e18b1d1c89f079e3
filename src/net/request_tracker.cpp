#include "kpp/net/request_tracker.h"

#include <algorithm>
#include <limits>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::net {

using protocol::bytes_view;

namespace {

frame_outcome failure(protocol_error_cause cause, std::string message) {
  frame_outcome o;
  o.verdict = frame_verdict::fail;
  o.cause = cause;
  o.message = std::move(message);
  return o;
}

frame_outcome need(std::size_t n) {
  frame_outcome o;
  o.verdict = frame_verdict::need_more;
  o.need = n;
  return o;
}

std::int32_t load_be32(const std::byte* p) {
  return static_cast<std::int32_t>((std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
                                   (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]));
}

// The proxy's own requests are SASL steps: their answers are a few hundred bytes.
constexpr std::size_t max_proxy_answer = std::size_t{1} << 20;

}  // namespace

std::size_t request_tracker::min_request_size() const noexcept {
  return sasl_raw_ ? 0 : protocol::request_prefix_size;
}

std::size_t request_tracker::min_response_size() const noexcept {
  return !fifo_.empty() && fifo_.front().raw_sasl ? 0 : 4;
}

void request_tracker::pop() noexcept {
  if (!fifo_.front().response_optional) --awaiting_;
  fifo_.pop();
}

std::optional<frame_outcome> request_tracker::raw_sasl_request(bytes_view head) {
  // After SaslHandshake v0 the client sends raw tokens with no Kafka header until
  // authentication completes; the first frame that reads as a known request ends that.
  auto prefix = protocol::decode_request_prefix(head);
  if (prefix) {
    const auto* api = protocol::find_api(prefix->api_key);
    if (api && prefix->api_version >= api->min_version && prefix->api_version <= api->max_version) {
      sasl_raw_ = false;
      return std::nullopt;
    }
  }
  frame_outcome o;
  o.entry = {.raw_sasl = true};
  fifo_.push(o.entry);
  ++awaiting_;
  return o;
}

frame_outcome request_tracker::on_request(bytes_view head, std::size_t frame_size) {
  if (sasl_raw_) {
    // Enough bytes to tell a Kafka request header from a raw token.
    const auto want = std::min(frame_size, protocol::request_prefix_size);
    if (head.size() < want) return need(want);
    if (auto raw = raw_sasl_request(head)) return *raw;
  }
  auto prefix = protocol::decode_request_prefix(head);
  if (!prefix) return need(protocol::request_prefix_size);
  const auto key = prefix->api_key;
  const auto version = prefix->api_version;
  if (forbidden_ && forbidden_(key))
    return failure(
        protocol_error_cause::forbidden_api_key,
        "request with forbidden API key " + std::to_string(key) + " (forbidden_api_keys)");
  auto action = protocol::action_for(key, version);
  if (!action && action.error().code == protocol::errc::unknown_version) {
    // A newer version of an API that carries no address (a newer broker offered it and the
    // ApiVersions cap left it alone): its response is streamed, its layout does not matter.
    if (const auto* api = protocol::find_api(key);
        api && api->action == protocol::response_action::stream && version > api->max_version)
      action = protocol::response_action::stream;
  }
  if (!action) {
    const auto cause = action.error().code == protocol::errc::unknown_api_key
                           ? protocol_error_cause::unknown_api_key
                           : protocol_error_cause::malformed_header;
    return failure(
        cause, "request api_key=" + std::to_string(key) + " version=" + std::to_string(version) +
                   ": " + action.error().describe() +
                   (protocol::find_api(key) ? "; the proxy cannot rewrite its response" : ""));
  }
  inflight_entry entry{prefix->correlation_id, key, version, *action, false, false};
  if (key == protocol::api_key::produce) {
    auto acks = protocol::decode_produce_acks(head);
    if (!acks) {
      if (acks.error().code == protocol::errc::truncated && head.size() < frame_size)
        return need(std::min(frame_size, head.size() * 2 + 64));
      return failure(protocol_error_cause::malformed_header,
                     "malformed Produce request: " + acks.error().describe());
    }
    entry.response_optional = *acks == 0;
  }
  if (key == protocol::api_key::sasl_handshake) {
    if (version == 0) sasl_raw_ = true;
    // Remember the mechanism asked for: if the broker refuses it, the log names both sides.
    if (auto header = protocol::decode_request_header(head)) {
      protocol::wire_reader r(head.subspan(header->size));
      sasl_mechanism_ = std::string(r.string(false, "mechanism"));
    }
  }
  if (fifo_.full() && fifo_.front().response_optional) pop();  // never answered
  fifo_.push(entry);
  if (!entry.response_optional) ++awaiting_;
  frame_outcome o;
  o.entry = entry;
  return o;
}

bool request_tracker::on_proxy_request(std::int16_t api_key, std::int16_t api_version,
                                       std::int32_t correlation_id) {
  if (fifo_.full() && fifo_.front().response_optional) pop();  // never answered
  if (fifo_.full()) return false;
  fifo_.push({correlation_id, api_key, api_version, protocol::response_action::stream, false, false,
              true});
  ++awaiting_;
  return true;
}

std::int32_t request_tracker::proxy_correlation_id(std::int32_t hint) const noexcept {
  // At most size() ids are taken, so this ends within size() + 1 steps.
  while (fifo_.holds_correlation_id(hint))
    hint = hint == std::numeric_limits<std::int32_t>::max() ? 0 : hint + 1;
  return hint;
}

frame_outcome request_tracker::on_response(bytes_view head, std::size_t frame_size) {
  if (!fifo_.empty() && fifo_.front().raw_sasl) {
    // A raw SASL token answer has no header (and may be empty): pass it as it is.
    frame_outcome o;
    o.entry = fifo_.front();
    pop();
    return o;
  }
  if (head.size() < 4) return need(4);
  const std::int32_t corr = load_be32(head.data());
  for (;;) {
    if (fifo_.empty())
      return failure(protocol_error_cause::correlation_mismatch,
                     "upstream sent a response with no request in flight");
    const auto& front = fifo_.front();
    if (corr == front.correlation_id) break;
    if (!front.response_optional)
      return failure(protocol_error_cause::correlation_mismatch,
                     "response correlation id " + std::to_string(corr) +
                         " does not match the oldest request (" +
                         std::to_string(front.correlation_id) +
                         ", api_key=" + std::to_string(front.api_key) + ")");
    pop();  // an acks=0 Produce that got no response
  }
  frame_outcome o;
  o.entry = fifo_.front();
  pop();
  if (o.entry.proxy_owned) {
    if (frame_size > max_proxy_answer)
      return failure(
          protocol_error_cause::frame_too_large,
          "upstream answered the proxy's own request (api_key=" + std::to_string(o.entry.api_key) +
              ") with " + std::to_string(frame_size) + " bytes; a SASL answer is far smaller");
    o.verdict = frame_verdict::consume;
    return o;
  }
  if (o.entry.api_key == protocol::api_key::sasl_handshake && head.size() >= 6) {
    // SaslHandshake response: ErrorCode, then the mechanisms the broker enables. It passes
    // through untouched; the session logs why the client's login is about to fail.
    protocol::wire_reader r(head.subspan(4));
    if (r.i16("error_code") == 33) {  // UNSUPPORTED_SASL_MECHANISM
      std::string offered;
      if (auto n = r.array_length(false, 2, "mechanisms")) {
        for (std::uint32_t i = 0; i < *n && r.ok(); ++i)
          offered += (i ? "," : "") + std::string(r.string(false, "mechanisms[]"));
      }
      sasl_refusal_ = sasl_refusal{sasl_mechanism_, std::move(offered)};
    }
  }
  switch (o.entry.action) {
    case protocol::response_action::stream:
      o.verdict = frame_verdict::forward;
      break;
    case protocol::response_action::fetch:  // v12+ only: older versions stream
      o.verdict = frame_verdict::stream_rewrite;
      break;
    default:
      o.verdict = frame_verdict::assemble;
      break;
  }
  return o;
}

}  // namespace kpp::net
