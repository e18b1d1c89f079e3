// Produce response (API key 0), flexible versions v9-v13. Its only address is KIP-951's
// top-level tagged field 0 NodeEndpoints (Produce v10+; some brokers write it on every
// flexible version, so it is honoured from v9). v12 has v11's layout (KIP-890); v13 names
// topics by TopicId (uuid) instead of Name (KIP-516). Non-flexible versions have no tagged
// section and are streamed, never passed here.
//
//   Responses               compact array
//     Name                  compact string          (v9-12)
//     TopicId               uuid                    (v13+)
//     PartitionResponses    compact array
//       Index int32, ErrorCode int16, BaseOffset int64, LogAppendTimeMs int64,
//       LogStartOffset int64
//       RecordErrors        compact array of {BatchIndex int32,
//                                             BatchIndexErrorMessage compact nullable string,
//                                             _tagged_fields}
//       ErrorMessage        compact nullable string
//       _tagged_fields      (tag 0 CurrentLeader: leader id/epoch only, copied verbatim)
//     _tagged_fields
//   ThrottleTimeMs          int32
//   _tagged_fields          (tag 0 NodeEndpoints)
#pragma once

#include <cstdint>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"
#include "kpp/protocol/node_endpoints.h"

namespace kpp::protocol {

inline constexpr std::int16_t produce_first_flexible = 9;
inline constexpr std::int16_t produce_max_rewritten = 13;

struct produce_response_layout {
  std::uint32_t topics = 0;
  std::uint32_t partitions = 0;  // over all topics
  std::int32_t throttle_time_ms = 0;
  tagged_node_endpoints tags;  // the top-level tagged section
};

// Walks a whole body (nothing may follow the top-level tagged section). unknown_version
// outside v9-v13.
[[nodiscard]] result<produce_response_layout> scan_produce_response(bytes_view body,
                                                                    std::int16_t version);

// Appends the body with NodeEndpoints rewritten to `out`. Without tag 0 (or with an empty
// array) returns changed=false and leaves `out` untouched: forward the input.
[[nodiscard]] result<rewrite_stats> rewrite_produce_response(bytes_view body, std::int16_t version,
                                                             const address_mapper& map,
                                                             byte_buffer& out);

}  // namespace kpp::protocol
