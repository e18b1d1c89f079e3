// Metadata (API key 3) response, v0-v13: Brokers[].Host/Port is what clients dial, so it is
// what the proxy rewrites. Everything after the broker array is kept as raw spans.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// v0-12 from the message definitions; v13 (KIP-1102, Kafka 4.0) adds a top-level ErrorCode.
inline constexpr std::int16_t metadata_response_min_version = 0;
inline constexpr std::int16_t metadata_response_max_version = 13;

struct metadata_broker {
  std::int32_t node_id = 0;              // int32 NodeId
  std::string_view host;                 // string Host
  std::int32_t port = 0;                 // int32 Port
  std::optional<std::string_view> rack;  // nullable string Rack (v1+)
  // v9+: the broker's tagged-field section as on the wire (count + entries), kept byte for
  // byte. Empty means "no tagged fields" and encodes as a zero count.
  bytes_view tagged_fields;
};

// A decoded response; the views point into the decoded body, which must outlive it.
struct metadata_response_view {
  std::int16_t version = 0;
  std::int32_t throttle_time_ms = 0;           // int32 ThrottleTimeMs (v3+)
  std::vector<metadata_broker> brokers;        // []MetadataResponseBroker Brokers
  std::optional<std::string_view> cluster_id;  // nullable string ClusterId (v2+)
  std::int32_t controller_id = -1;             // int32 ControllerId (v1+)
  // []MetadataResponseTopic Topics as on the wire, count prefix included: the proxy never
  // changes topics, so they are walked (to find what follows) but not decoded. Empty
  // encodes as an empty array.
  bytes_view topics;
  std::int32_t cluster_authorized_operations =  // int32 ClusterAuthorizedOperations (v8-10)
      std::numeric_limits<std::int32_t>::min();
  std::int16_t error_code = 0;  // int16 ErrorCode (v13+, KIP-1102: non-zero = re-bootstrap)
  bytes_view tagged_fields;     // v9+: top-level tagged section, as for brokers
};

// Decodes a whole body (after the response header). Strict: trailing bytes are an error, and
// so are varint lengths longer than needed (Kafka never writes them, and accepting them would
// break the byte-identical re-encode).
[[nodiscard]] result<metadata_response_view> decode_metadata_response(bytes_view body,
                                                                      std::int16_t version);

// Appends the encoding of `v` at v.version to `out`. Fields the version lacks are not written.
// Fails with unknown_version, or invalid_value for a string too long for its length prefix.
[[nodiscard]] status encode_metadata_response(const metadata_response_view& v, byte_buffer& out);

// Splices `body` into `out`: the bytes before the broker array are copied verbatim, the array
// is re-encoded with every host/port replaced by `map`, and the rest (cluster id, controller,
// topics, tagged fields) is copied with one memcpy, unread. Appends to `out`; on error, or
// when nothing changed (stats.changed false), `out` is left as it was.
[[nodiscard]] result<rewrite_stats> rewrite_metadata_response(bytes_view body, std::int16_t version,
                                                              const address_mapper& map,
                                                              byte_buffer& out);

}  // namespace kpp::protocol
