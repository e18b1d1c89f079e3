// Fetch response (API key 1), flexible versions v12-v18. Its only address is KIP-951's
// top-level tagged field 0 NodeEndpoints (Fetch v16+; some brokers write it on every
// flexible version, so it is honoured from v12). v18 has v17's layout (request-side change
// only). Records are skipped by their length and never looked into: a 50 MB fetch costs a
// walk over its partition headers, not over its data.
//
//   ThrottleTimeMs int32, ErrorCode int16, SessionId int32
//   Responses                compact array
//     Topic                  compact string          (v12)
//     TopicId                uuid                    (v13+)
//     Partitions             compact array
//       PartitionIndex int32, ErrorCode int16, HighWatermark int64,
//       LastStableOffset int64, LogStartOffset int64
//       AbortedTransactions  compact nullable array of {ProducerId int64, FirstOffset int64,
//                                                       _tagged_fields}
//       PreferredReadReplica int32
//       Records              compact nullable records (bytes)
//       _tagged_fields       (0 DivergingEpoch, 1 CurrentLeader, 2 SnapshotId: no address)
//     _tagged_fields
//   _tagged_fields           (tag 0 NodeEndpoints)
#pragma once

#include <cstdint>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"
#include "kpp/protocol/node_endpoints.h"

namespace kpp::protocol {

inline constexpr std::int16_t fetch_first_flexible = 12;
inline constexpr std::int16_t fetch_max_rewritten = 18;

struct fetch_response_layout {
  std::int16_t error_code = 0;
  std::int32_t session_id = 0;
  std::uint32_t topics = 0;
  std::uint32_t partitions = 0;    // over all topics
  std::uint64_t record_bytes = 0;  // sum of the Records lengths (null counts 0)
  tagged_node_endpoints tags;      // the top-level tagged section
};

// Walks a whole body (nothing may follow the top-level tagged section). unknown_version
// outside v12-v18.
[[nodiscard]] result<fetch_response_layout> scan_fetch_response(bytes_view body,
                                                                std::int16_t version);

// Appends the body with NodeEndpoints rewritten to `out`. Without tag 0 (or with an empty
// array) returns changed=false and leaves `out` untouched: forward the input.
[[nodiscard]] result<rewrite_stats> rewrite_fetch_response(bytes_view body, std::int16_t version,
                                                           const address_mapper& map,
                                                           byte_buffer& out);

}  // namespace kpp::protocol
