#include "kpp/protocol/api_versions_response.h"

#include <algorithm>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"
#include "strict_reads.h"

namespace kpp::protocol {
namespace {

using detail::write_tags;

}  // namespace

result<api_versions_response> decode_api_versions_response(bytes_view body, std::int16_t version) {
  if (version < 0 || version > api_versions_max_version) {
    return error{errc::unknown_version, 0, "api versions response version"};
  }
  const bool flexible = version >= api_versions_first_flexible;
  wire_reader r{body};
  api_versions_response resp;
  resp.error_code = r.i16("error_code");
  // Entry: three int16 (+ tags 1 when flexible).
  const auto n = r.array_length(flexible, flexible ? 7 : 6, "api_keys");
  if (!r.ok()) return r.err();
  resp.api_keys.resize(*n);  // checked against the bytes that remain
  for (auto& k : resp.api_keys) {
    k.api_key = r.i16("api_keys[].api_key");
    k.min_version = r.i16("api_keys[].min_version");
    k.max_version = r.i16("api_keys[].max_version");
    if (flexible) {
      const std::size_t tags_at = r.offset();
      skip_tagged_fields(r);
      k.tagged_fields = r.since(tags_at);
    }
    if (!r.ok()) return r.err();
  }
  if (version >= 1) resp.throttle_time_ms = r.i32("throttle_time_ms");
  if (flexible) {
    const std::size_t tags_at = r.offset();
    skip_tagged_fields(r);
    resp.tagged_fields = r.since(tags_at);
  }
  if (!r.expect_end()) return r.err();
  return resp;
}

void encode_api_versions_response(const api_versions_response& resp, std::int16_t version,
                                  byte_buffer& out) {
  const bool flexible = version >= api_versions_first_flexible;
  wire_writer w{out};
  w.i16(resp.error_code);
  w.array_length(static_cast<std::uint32_t>(resp.api_keys.size()), flexible);
  for (const auto& k : resp.api_keys) {
    w.i16(k.api_key);
    w.i16(k.min_version);
    w.i16(k.max_version);
    if (flexible) write_tags(w, k.tagged_fields);
  }
  if (version >= 1) w.i32(resp.throttle_time_ms);
  if (flexible) write_tags(w, resp.tagged_fields);
}

result<decoded_api_versions> decode_api_versions_response_any(bytes_view body,
                                                              std::int16_t requested_version) {
  wire_reader peek{body};
  const std::int16_t error_code = peek.i16("error_code");
  if (!peek.ok()) return peek.err();
  const bool known = requested_version >= 0 && requested_version <= api_versions_max_version;
  // KIP-511: UNSUPPORTED_VERSION comes in v0 format, so try that first; a broker that did
  // understand the version and still failed would have used it, hence the second try.
  if (error_code == unsupported_version_error || !known) {
    auto v0 = decode_api_versions_response(body, 0);
    if (v0) return decoded_api_versions{std::move(*v0), 0};
    if (!known) return v0.error();
  }
  auto asked = decode_api_versions_response(body, requested_version);
  if (asked) return decoded_api_versions{std::move(*asked), requested_version};
  if (requested_version != 0 && error_code != unsupported_version_error) {
    // The Java client's fallback: a body that does not parse at the asked version is read
    // as v0 before giving up.
    auto v0 = decode_api_versions_response(body, 0);
    if (v0) return decoded_api_versions{std::move(*v0), 0};
  }
  return asked.error();
}

result<rewrite_stats> cap_api_versions(bytes_view body, std::int16_t version, byte_buffer& out) {
  auto decoded = decode_api_versions_response_any(body, version);
  if (!decoded) {
    // An UNSUPPORTED_VERSION answer that fits no known layout (librdkafka's mock writes a
    // compact count without the other flexible fields) tells the client only which
    // ApiVersions version to retry with: clients negotiate nothing else from it, and it
    // carries no address, so it may pass as it is.
    wire_reader r{body};
    if (r.i16("error_code") == unsupported_version_error && r.ok()) return rewrite_stats{};
    return decoded.error();
  }
  auto& keys = decoded->response.api_keys;
  bool changed = false;
  std::erase_if(keys, [&](api_version_range& k) {
    const api_info* api = find_api(k.api_key);
    // An API the proxy does not know might carry addresses: never offer it.
    if (api == nullptr) return changed = true;
    if (api->action == response_action::stream) return false;
    // Address-carrying (or ApiVersions itself): only the versions the proxy can rewrite.
    if (k.min_version > api->max_version) return changed = true;
    if (k.max_version > api->max_version) {
      k.max_version = api->max_version;
      changed = true;
    }
    return false;
  });
  if (!changed) return rewrite_stats{};
  out.reserve(out.size() + body.size());
  encode_api_versions_response(decoded->response, decoded->format_version, out);
  return rewrite_stats{0, true};
}

}  // namespace kpp::protocol
