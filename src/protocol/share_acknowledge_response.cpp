#include "kpp/protocol/share_acknowledge_response.h"

#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "topic_walk.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;
// Smallest partition: PartitionIndex 4 + ErrorCode 2 + ErrorMessage 1 + CurrentLeader 9 +
// tags 1.
constexpr std::size_t partition_min = 17;

bool skip_partition(wire_reader& r) {
  r.skip(6, "responses[].partitions[]");  // PartitionIndex, ErrorCode
  (void)r.nullable_string(compact, "responses[].partitions[].error_message");
  // CurrentLeader is a plain struct in a flexible version: it has its own tagged section.
  r.skip(8, "responses[].partitions[].current_leader");
  skip_tagged_fields(r);
  return skip_tagged_fields(r);
}

}  // namespace

result<share_acknowledge_response_layout> scan_share_acknowledge_response(bytes_view body,
                                                                          std::int16_t version) {
  if (version != 0) {
    return error{errc::unknown_version, 0, "share acknowledge response version"};
  }
  wire_reader r{body};
  share_acknowledge_response_layout layout;
  if (!detail::walk_share_response(r, layout, partition_min, skip_partition)) return r.err();
  return layout;
}

result<rewrite_stats> rewrite_share_acknowledge_response(bytes_view body, std::int16_t version,
                                                         const address_mapper& map,
                                                         byte_buffer& out) {
  auto layout = scan_share_acknowledge_response(body, version);
  if (!layout) return layout.error();
  if (layout->node_endpoint_count == 0) return rewrite_stats{};
  return splice_node_endpoints(body, layout->node_endpoints, map, out);
}

}  // namespace kpp::protocol
