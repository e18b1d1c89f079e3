// DescribeCluster (API key 60) response, v0-v2 (flexible from v0): Brokers[].Host/Port, which
// admin clients dial, so the proxy rewrites it. From v1 (KIP-919) the list may hold
// controllers instead of brokers (EndpointType 2); their addresses need the same care.
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

// v0-1 from the message definitions; v2 (KIP-1073, Kafka 4.0) adds Brokers[].IsFenced.
inline constexpr std::int16_t describe_cluster_response_min_version = 0;
inline constexpr std::int16_t describe_cluster_response_max_version = 2;

// EndpointType values (v1+). Any other value is rejected: the proxy cannot tell which
// kind of address it would be handing out.
inline constexpr std::int8_t describe_cluster_endpoint_brokers = 1;
inline constexpr std::int8_t describe_cluster_endpoint_controllers = 2;

struct describe_cluster_broker {
  std::int32_t broker_id = 0;            // int32 BrokerId
  std::string_view host;                 // compact string Host
  std::int32_t port = 0;                 // int32 Port
  std::optional<std::string_view> rack;  // compact nullable string Rack
  bool is_fenced = false;                // bool IsFenced (v2+, KIP-1073)
  // The broker's tagged-field section as on the wire (count + entries), kept byte for byte.
  // Empty means none and encodes as a zero count.
  bytes_view tagged_fields;
};

// A decoded response; the views point into the decoded body, which must outlive it.
struct describe_cluster_response_view {
  std::int16_t version = 0;
  std::int32_t throttle_time_ms = 0;              // int32 ThrottleTimeMs
  std::int16_t error_code = 0;                    // int16 ErrorCode
  std::optional<std::string_view> error_message;  // compact nullable string ErrorMessage
  std::int8_t endpoint_type = describe_cluster_endpoint_brokers;  // int8 EndpointType (v1+)
  std::string_view cluster_id;                                    // compact string ClusterId
  std::int32_t controller_id = -1;                                // int32 ControllerId
  std::vector<describe_cluster_broker> brokers;                   // []DescribeClusterBroker Brokers
  std::int32_t cluster_authorized_operations =  // int32 ClusterAuthorizedOperations
      std::numeric_limits<std::int32_t>::min();
  bytes_view tagged_fields;  // top-level tagged section, as for brokers
};

// Decodes a whole body (after the response header). Strict: trailing bytes, varint lengths
// longer than needed, booleans other than 0/1 and unknown endpoint types are errors (Kafka
// writes none of them; accepting them would break the byte-identical re-encode).
[[nodiscard]] result<describe_cluster_response_view> decode_describe_cluster_response(
    bytes_view body, std::int16_t version);

// Appends the encoding of `v` at v.version to `out`; fields the version lacks are not written.
[[nodiscard]] status encode_describe_cluster_response(const describe_cluster_response_view& v,
                                                      byte_buffer& out);

// Copies the bytes before Brokers[] verbatim, re-encodes Brokers[] with every host/port
// replaced by `map` (kind controller when EndpointType is 2), and copies the rest unread.
// Appends to `out`; on error, or when nothing changed, `out` is left as it was.
[[nodiscard]] result<rewrite_stats> rewrite_describe_cluster_response(bytes_view body,
                                                                      std::int16_t version,
                                                                      const address_mapper& map,
                                                                      byte_buffer& out);

}  // namespace kpp::protocol
