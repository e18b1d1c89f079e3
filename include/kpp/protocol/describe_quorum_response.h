// DescribeQuorum response (API key 55), flexible in every version. v2 (KIP-853) adds the
// controllers' addresses in Nodes[].Listeners[]; v0-1 carry none and are streamed.
//
//   ErrorCode int16
//   ErrorMessage                compact nullable string        (v2+)
//   Topics                      compact array
//     TopicName                 compact string
//     Partitions                compact array
//       PartitionIndex int32, ErrorCode int16
//       ErrorMessage            compact nullable string        (v2+)
//       LeaderId int32, LeaderEpoch int32, HighWatermark int64
//       CurrentVoters, Observers  compact arrays of ReplicaState:
//         ReplicaId int32, ReplicaDirectoryId uuid (v2+), LogEndOffset int64,
//         LastFetchTimestamp int64 (v1+), LastCaughtUpTimestamp int64 (v1+), _tagged_fields
//       _tagged_fields
//     _tagged_fields
//   Nodes                       compact array                  (v2+)
//     NodeId int32
//     Listeners                 compact array
//       Name compact string, Host compact string, Port uint16, _tagged_fields
//     _tagged_fields
//   _tagged_fields
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {

inline constexpr std::int16_t describe_quorum_first_with_nodes = 2;
inline constexpr std::int16_t describe_quorum_max_version = 2;

struct quorum_listener {
  std::string_view name;     // Name            compact string
  std::string_view host;     // Host            compact string
  std::uint16_t port = 0;    // Port            uint16
  bytes_view tagged_fields;  // _tagged_fields, verbatim (count included)
};

struct quorum_node {
  std::int32_t node_id = 0;                // NodeId          int32
  std::vector<quorum_listener> listeners;  // Listeners       compact array
  bytes_view tagged_fields;                // _tagged_fields, verbatim (count included)
};

struct describe_quorum_response_layout {
  std::int16_t error_code = 0;
  std::uint32_t topics = 0;
  std::uint32_t partitions = 0;  // over all topics
  std::uint32_t replicas = 0;    // voters and observers over all partitions
  bytes_view nodes;              // the Nodes array, count included (empty before v2)
  std::uint32_t node_count = 0;
};

// Walks a whole body, v0-v2.
[[nodiscard]] result<describe_quorum_response_layout> scan_describe_quorum_response(
    bytes_view body, std::int16_t version);

// The Nodes array (v2), which must fill `array` exactly; and its encoder.
[[nodiscard]] result<std::vector<quorum_node>> decode_quorum_nodes(bytes_view array);
void encode_quorum_nodes(wire_writer& w, std::span<const quorum_node> nodes);

// v2 only (unknown_version otherwise): appends the body with every listener's Host/Port
// replaced by the mapper's answer for endpoint_kind::controller; Name, NodeId and tagged
// fields are copied. No listener at all: changed=false, `out` untouched.
[[nodiscard]] result<rewrite_stats> rewrite_describe_quorum_response(bytes_view body,
                                                                     std::int16_t version,
                                                                     const address_mapper& map,
                                                                     byte_buffer& out);

}  // namespace kpp::protocol
