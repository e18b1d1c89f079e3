// ShareAcknowledge response (API key 79, KIP-932), v0 (flexible). NodeEndpoints is a
// regular top-level field here, not a tagged one.
//
//   ThrottleTimeMs int32, ErrorCode int16, ErrorMessage compact nullable string
//   Responses                   compact array
//     TopicId                   uuid
//     Partitions                compact array
//       PartitionIndex int32, ErrorCode int16, ErrorMessage compact nullable string
//       CurrentLeader           {LeaderId int32, LeaderEpoch int32, _tagged_fields}
//       _tagged_fields
//     _tagged_fields
//   NodeEndpoints               compact array (node_endpoints.h)
//   _tagged_fields
#pragma once

#include <cstdint>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t share_acknowledge_max_rewritten = 0;

struct share_acknowledge_response_layout {
  std::int16_t error_code = 0;
  std::uint32_t topics = 0;
  std::uint32_t partitions = 0;  // over all topics
  bytes_view node_endpoints;     // the NodeEndpoints array, count included
  std::uint32_t node_endpoint_count = 0;
};

[[nodiscard]] result<share_acknowledge_response_layout> scan_share_acknowledge_response(
    bytes_view body, std::int16_t version);

// Appends the body with NodeEndpoints rewritten to `out`; an empty array returns
// changed=false and leaves `out` untouched.
[[nodiscard]] result<rewrite_stats> rewrite_share_acknowledge_response(bytes_view body,
                                                                       std::int16_t version,
                                                                       const address_mapper& map,
                                                                       byte_buffer& out);

}  // namespace kpp::protocol
