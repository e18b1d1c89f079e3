#include "kpp/protocol/fetch_response.h"

#include "fetch_layout.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "topic_walk.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;
using namespace detail::fetch_layout;

bool skip_partition(wire_reader& r, std::uint64_t& record_bytes) {
  r.skip(partition_head, "responses[].partitions[]");
  const auto aborted =
      r.array_length(compact, aborted_min, "responses[].partitions[].aborted_transactions", true);
  if (!r.ok()) return false;
  if (aborted) {
    for (std::uint32_t i = 0; i < *aborted; ++i) {
      r.skip(aborted_fixed, "aborted_transactions[]");
      skip_tagged_fields(r);
    }
  }
  r.skip(4, "responses[].partitions[].preferred_read_replica");
  // A view over the record batches, skipped by length: their content is the client's.
  const auto records = r.nullable_bytes(compact, "responses[].partitions[].records");
  if (records) record_bytes += records->size();
  return skip_tagged_fields(r);
}

}  // namespace

result<fetch_response_layout> scan_fetch_response(bytes_view body, std::int16_t version) {
  if (version < fetch_first_flexible || version > fetch_max_rewritten) {
    return error{errc::unknown_version, 0, "fetch response version"};
  }
  // Fetch v13 (KIP-516) replaced the topic name by a 16-byte TopicId.
  const bool by_id = version >= 13;
  wire_reader r{body};
  fetch_response_layout layout;
  r.skip(4, "throttle_time_ms");
  layout.error_code = r.i16("error_code");
  layout.session_id = r.i32("session_id");
  const detail::topic_walk walk{.by_id = by_id,
                                .name_field = "responses[].topic",
                                .partitions_field = "responses[].partitions",
                                .partition_min = partition_min};
  const auto partition = [&](wire_reader& pr) { return skip_partition(pr, layout.record_bytes); };
  if (!detail::walk_topics(r, walk, layout.topics, layout.partitions, partition)) return r.err();
  if (!read_top_level_tags(r, layout.tags)) return r.err();
  return layout;
}

result<rewrite_stats> rewrite_fetch_response(bytes_view body, std::int16_t version,
                                             const address_mapper& map, byte_buffer& out) {
  auto layout = scan_fetch_response(body, version);
  if (!layout) return layout.error();
  const auto& tags = layout->tags;
  if (!tags.node_endpoints) return rewrite_stats{};
  return splice_tagged_node_endpoints(body, tags.entry_offset, *tags.node_endpoints, map, out);
}

}  // namespace kpp::protocol
