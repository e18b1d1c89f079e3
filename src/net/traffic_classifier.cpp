#include "kpp/net/traffic_classifier.h"

#include <array>
#include <cstdio>

namespace kpp::net {
namespace {

bool starts_with(protocol::bytes_view head, std::string_view text) {
  if (head.size() < text.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (static_cast<char>(head[i]) != text[i]) return false;
  return true;
}

// A TLS record: content type (0x15 alert, 0x16 handshake), then major version 3.
bool looks_like_tls(protocol::bytes_view head, bool handshake_only) {
  if (head.size() < 2 || head[1] != std::byte{0x03}) return false;
  if (head[0] == std::byte{0x16}) return true;
  return !handshake_only && head[0] == std::byte{0x15};
}

bool looks_like_http(protocol::bytes_view head) {
  for (auto verb : {"GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "PRI ", "DELETE "})
    if (starts_with(head, verb)) return true;
  return false;
}

}  // namespace

std::optional<mismatch> classify_client_bytes(protocol::bytes_view head,
                                              std::size_t /*max_frame_size*/) {
  if (looks_like_tls(head, true))
    return mismatch{protocol_error_cause::tls_on_plaintext_listener,
                    "client is using TLS on a plaintext Kafka port; use a plaintext "
                    "(security.protocol=PLAINTEXT) client or point it at a TLS-terminating "
                    "listener"};
  if (looks_like_http(head))
    return mismatch{protocol_error_cause::http_on_kafka_port,
                    "an HTTP request arrived on a Kafka port; point health checks at the admin "
                    "endpoint (admin.address, e.g. :9080/ready) instead"};
  return std::nullopt;
}

std::optional<mismatch> classify_upstream_bytes(protocol::bytes_view head) {
  if (looks_like_tls(head, false))
    return mismatch{protocol_error_cause::tls_from_upstream,
                    "the broker answered with TLS bytes: the broker listener expects TLS, but "
                    "the proxy connects in plaintext; point bootstrap.servers at the broker's "
                    "PLAINTEXT listener, or set upstream.tls.enabled (--tls-enable)"};
  return std::nullopt;
}

std::string describe_bad_frame_size(std::uint32_t size, protocol::bytes_view head,
                                    std::size_t max_frame_size, std::string_view who,
                                    std::string_view setting) {
  std::array<char, 160> text{};
  std::snprintf(text.data(), text.size(), "%.*s sent a frame size of 0x%08x (%u bytes), ",
                static_cast<int>(who.size()), who.data(), size, size);
  std::string out = text.data();
  if (size < 8) {
    out += "below the smallest valid frame";
  } else {
    out += "above " + std::string(setting) + " (" + std::to_string(max_frame_size) + ")";
  }
  if (looks_like_tls(head, false))
    out += "; these bytes look like TLS: one side speaks TLS and the other does not";
  else if (looks_like_http(head))
    out += "; these bytes look like an HTTP request";
  return out;
}

}  // namespace kpp::net
