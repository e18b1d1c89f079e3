#include "kpp/protocol/share_fetch_response.h"

#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "topic_walk.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;
// Smallest partition: PartitionIndex 4 + ErrorCode 2 + ErrorMessage 1 +
// AcknowledgeErrorCode 2 + AcknowledgeErrorMessage 1 + CurrentLeader 9 + Records 1 +
// AcquiredRecords 1 + tags 1.
constexpr std::size_t partition_min = 22;
// AcquiredRecords entry: FirstOffset 8 + LastOffset 8 + DeliveryCount 2 + tags 1.
constexpr std::size_t acquired_min = 19;

bool skip_partition(wire_reader& r, std::uint64_t& record_bytes) {
  r.skip(6, "responses[].partitions[]");  // PartitionIndex, ErrorCode
  (void)r.nullable_string(compact, "responses[].partitions[].error_message");
  r.skip(2, "responses[].partitions[].acknowledge_error_code");
  (void)r.nullable_string(compact, "responses[].partitions[].acknowledge_error_message");
  // CurrentLeader is a plain struct in a flexible version: it has its own tagged section.
  r.skip(8, "responses[].partitions[].current_leader");
  skip_tagged_fields(r);
  const auto records = r.nullable_bytes(compact, "responses[].partitions[].records");
  if (records) record_bytes += records->size();
  const auto acquired =
      r.array_length(compact, acquired_min, "responses[].partitions[].acquired_records");
  if (!r.ok()) return false;
  for (std::uint32_t i = 0; i < *acquired; ++i) {
    r.skip(18, "acquired_records[]");
    skip_tagged_fields(r);
  }
  return skip_tagged_fields(r);
}

}  // namespace

result<share_fetch_response_layout> scan_share_fetch_response(bytes_view body,
                                                              std::int16_t version) {
  if (version != 0) return error{errc::unknown_version, 0, "share fetch response version"};
  wire_reader r{body};
  share_fetch_response_layout layout;
  const auto partition = [&](wire_reader& pr) { return skip_partition(pr, layout.record_bytes); };
  if (!detail::walk_share_response(r, layout, partition_min, partition)) return r.err();
  return layout;
}

result<rewrite_stats> rewrite_share_fetch_response(bytes_view body, std::int16_t version,
                                                   const address_mapper& map, byte_buffer& out) {
  auto layout = scan_share_fetch_response(body, version);
  if (!layout) return layout.error();
  if (layout->node_endpoint_count == 0) return rewrite_stats{};
  return splice_node_endpoints(body, layout->node_endpoints, map, out);
}

}  // namespace kpp::protocol
