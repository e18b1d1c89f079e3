#include "kpp/protocol/produce_response.h"

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "topic_walk.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;
// Fixed part of a partition: Index 4 + ErrorCode 2 + BaseOffset 8 + LogAppendTimeMs 8 +
// LogStartOffset 8.
constexpr std::size_t partition_fixed = 30;
// Smallest partition: fixed part + RecordErrors 1 + ErrorMessage 1 + tags 1.
constexpr std::size_t partition_min = partition_fixed + 3;
// Smallest record error: BatchIndex 4 + message 1 + tags 1.
constexpr std::size_t record_error_min = 6;

bool skip_partition(wire_reader& r) {
  r.skip(partition_fixed, "responses[].partition_responses[]");
  const auto errors =
      r.array_length(compact, record_error_min, "responses[].partition_responses[].record_errors");
  if (!r.ok()) return false;
  for (std::uint32_t i = 0; i < *errors; ++i) {
    r.skip(4, "record_errors[].batch_index");
    (void)r.nullable_string(compact, "record_errors[].batch_index_error_message");
    skip_tagged_fields(r);
  }
  (void)r.nullable_string(compact, "responses[].partition_responses[].error_message");
  return skip_tagged_fields(r);  // CurrentLeader (tag 0) has no address: left as is
}

}  // namespace

result<produce_response_layout> scan_produce_response(bytes_view body, std::int16_t version) {
  if (version < produce_first_flexible || version > produce_max_rewritten) {
    return error{errc::unknown_version, 0, "produce response version"};
  }
  // KIP-516: v13 identifies topics by a 16-byte TopicId.
  const bool by_id = version >= 13;
  wire_reader r{body};
  produce_response_layout layout;
  const detail::topic_walk walk{.by_id = by_id,
                                .name_field = "responses[].name",
                                .partitions_field = "responses[].partition_responses",
                                .partition_min = partition_min};
  if (!detail::walk_topics(r, walk, layout.topics, layout.partitions, skip_partition)) {
    return r.err();
  }
  layout.throttle_time_ms = r.i32("throttle_time_ms");
  if (!read_top_level_tags(r, layout.tags)) return r.err();
  return layout;
}

result<rewrite_stats> rewrite_produce_response(bytes_view body, std::int16_t version,
                                               const address_mapper& map, byte_buffer& out) {
  auto layout = scan_produce_response(body, version);
  if (!layout) return layout.error();
  const auto& tags = layout->tags;
  if (!tags.node_endpoints) return rewrite_stats{};
  auto stats =
      splice_tagged_node_endpoints(body, tags.entry_offset, *tags.node_endpoints, map, out);
  return stats;
}

}  // namespace kpp::protocol
