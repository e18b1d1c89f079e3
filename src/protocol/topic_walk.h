// Internal to the protocol layer: the Responses[] walk shared by the responses that are
// scanned rather than decoded (Produce, Fetch, ShareFetch, ShareAcknowledge). All of them are
// flexible in the versions walked, so every length is compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::protocol::detail {

// How a Responses[] entry names its topic and its partitions array.
struct topic_walk {
  bool by_id;                         // a 16-byte TopicId (KIP-516) rather than a name
  std::string_view name_field;        // the name's field (for errors), when !by_id
  std::string_view partitions_field;  // the partitions array's field (for errors)
  std::size_t partition_min;          // smallest partition entry, for the count check
};

// Walks a compact Responses[] array: each topic is its TopicId or Name, a compact partitions
// array whose entries skip_partition(r) walks (returning false only once `r` has failed), and
// a tagged section. Sets `topics`, adds to `partitions`; false with the error in `r`.
template <class SkipPartition>
bool walk_topics(wire_reader& r, const topic_walk& walk, std::uint32_t& topics,
                 std::uint32_t& partitions, SkipPartition&& skip_partition) {
  constexpr bool compact = true;
  // Topic: TopicId 16 (or Name 1) + Partitions 1 + tags 1 at the least.
  const auto n = r.array_length(compact, (walk.by_id ? 16 : 1) + 2, "responses");
  if (!r.ok()) return false;
  topics = *n;
  for (std::uint32_t t = 0; t < *n; ++t) {
    if (walk.by_id) {
      r.skip(16, "responses[].topic_id");
    } else {
      (void)r.string(compact, walk.name_field);
    }
    const auto parts = r.array_length(compact, walk.partition_min, walk.partitions_field);
    if (!r.ok()) return false;
    partitions += *parts;
    for (std::uint32_t p = 0; p < *parts; ++p) {
      if (!skip_partition(r)) return false;
    }
    if (!skip_tagged_fields(r)) return false;
  }
  return true;
}

// ShareFetch and ShareAcknowledge v0 around their partitions: ThrottleTimeMs, ErrorCode,
// ErrorMessage, Responses[] (by TopicId), NodeEndpoints[], a tagged section, and nothing
// after. Fills the fields the two layouts share; false with the error in `r`.
template <class Layout, class SkipPartition>
bool walk_share_response(wire_reader& r, Layout& layout, std::size_t partition_min,
                         SkipPartition&& skip_partition) {
  constexpr bool compact = true;
  r.skip(4, "throttle_time_ms");
  layout.error_code = r.i16("error_code");
  (void)r.nullable_string(compact, "error_message");
  const topic_walk walk{.by_id = true,
                        .name_field = {},
                        .partitions_field = "responses[].partitions",
                        .partition_min = partition_min};
  if (!walk_topics(r, walk, layout.topics, layout.partitions, skip_partition)) return false;
  if (!skip_node_endpoints(r, layout.node_endpoints, layout.node_endpoint_count)) return false;
  skip_tagged_fields(r);
  return r.expect_end();
}

}  // namespace kpp::protocol::detail
