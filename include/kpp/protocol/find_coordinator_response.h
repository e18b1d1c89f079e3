// FindCoordinator (API key 10) response, v0-v6: the coordinator's NodeId/Host/Port, which
// clients dial for group and transaction requests, so the proxy rewrites it. Two shapes:
// v0-3 one top-level coordinator; v4+ (KIP-699, batched lookups) a Coordinators[] array.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t find_coordinator_response_min_version = 0;
inline constexpr std::int16_t find_coordinator_response_max_version = 6;
inline constexpr std::int16_t find_coordinator_first_batched_version = 4;  // KIP-699

// One entry of Coordinators[] (v4+).
struct find_coordinator_entry {
  std::string_view key;                           // compact string Key
  std::int32_t node_id = 0;                       // int32 NodeId
  std::string_view host;                          // compact string Host
  std::int32_t port = 0;                          // int32 Port
  std::int16_t error_code = 0;                    // int16 ErrorCode
  std::optional<std::string_view> error_message;  // compact nullable string ErrorMessage
  // The entry's tagged-field section as on the wire (count + entries), kept byte for byte.
  // Empty means none and encodes as a zero count.
  bytes_view tagged_fields;
};

// A decoded response; the views point into the decoded body, which must outlive it.
// An error answer has node_id -1, host "" and port -1 (as the broker writes them).
struct find_coordinator_response_view {
  std::int16_t version = 0;
  std::int32_t throttle_time_ms = 0;                 // int32 ThrottleTimeMs (v1+)
  std::int16_t error_code = 0;                       // int16 ErrorCode (v0-3)
  std::optional<std::string_view> error_message;     // nullable string ErrorMessage (v1-3)
  std::int32_t node_id = 0;                          // int32 NodeId (v0-3)
  std::string_view host;                             // string Host (v0-3)
  std::int32_t port = 0;                             // int32 Port (v0-3)
  std::vector<find_coordinator_entry> coordinators;  // []Coordinator Coordinators (v4+)
  bytes_view tagged_fields;  // v3+: top-level tagged section, as for entries
};

// Decodes a whole body (after the response header). Strict: trailing bytes and varint
// lengths longer than needed are errors (Kafka never writes the latter; accepting them would
// break the byte-identical re-encode).
[[nodiscard]] result<find_coordinator_response_view> decode_find_coordinator_response(
    bytes_view body, std::int16_t version);

// Appends the encoding of `v` at v.version to `out`; fields the version lacks are not written.
[[nodiscard]] status encode_find_coordinator_response(const find_coordinator_response_view& v,
                                                      byte_buffer& out);

// Replaces every coordinator address through `map` (also for error entries: the mapper sees
// node id -1 and decides). v0-3: bytes before NodeId are copied verbatim, NodeId/Host/Port
// re-encoded, the rest copied. v4+: ThrottleTimeMs copied, Coordinators[] re-encoded, the
// rest copied. Appends to `out`; on error, or when nothing changed, `out` is left as it was.
[[nodiscard]] result<rewrite_stats> rewrite_find_coordinator_response(bytes_view body,
                                                                      std::int16_t version,
                                                                      const address_mapper& map,
                                                                      byte_buffer& out);

}  // namespace kpp::protocol
