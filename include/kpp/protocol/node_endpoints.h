// KIP-951 NodeEndpoints: the leader addresses a broker hands out with NOT_LEADER_OR_FOLLOWER
// errors, so a client can retry on the new leader without a Metadata round trip. The same
// entry shape is used by Produce (v10+, top-level tag 0), Fetch (v16+, top-level tag 0),
// ShareFetch and ShareAcknowledge (v0, a regular top-level field). Every version that has it
// is flexible, so the encoding is always compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {

struct node_endpoint {
  std::int32_t node_id = 0;              // NodeId         int32
  std::string_view host;                 // Host           compact string
  std::int32_t port = 0;                 // Port           int32
  std::optional<std::string_view> rack;  // Rack           compact nullable string
  bytes_view tagged_fields;              // _tagged_fields section, verbatim (count included)
};

// Smallest encoded entry: NodeId 4 + Host 1 + Port 4 + Rack 1 + tags 1.
inline constexpr std::size_t node_endpoint_min_size = 11;

// One entry; false with the error recorded in `r`.
bool read_node_endpoint(wire_reader& r, node_endpoint& out);
void write_node_endpoint(wire_writer& w, const node_endpoint& e);

// Walks a NodeEndpoints compact array in `r` (a regular field: ShareFetch,
// ShareAcknowledge), validating each entry; `array` gets its bytes, count included.
bool skip_node_endpoints(wire_reader& r, bytes_view& array, std::uint32_t& count);

// A whole NodeEndpoints compact array, which must fill `array` exactly.
[[nodiscard]] result<std::vector<node_endpoint>> decode_node_endpoints(bytes_view array);
void encode_node_endpoints(wire_writer& w, std::span<const node_endpoint> endpoints);

// Reads a NodeEndpoints compact array from `r` and writes it to `w` with each Host/Port
// replaced by the mapper's answer (endpoint_kind::broker); NodeId, Rack and the entry's
// tagged fields are copied. A refusal fails with unmapped_node at the entry, an advertised
// port outside 0..65535 with invalid_value. Adds the entries to stats.addresses.
bool rewrite_node_endpoints(wire_reader& r, const address_mapper& map, wire_writer& w,
                            rewrite_stats& stats);

// Appends to `out` only what replaces `array` (a span inside `body`, for error offsets): the
// array with each address rewritten. An empty array: changed=false and `out` untouched. On
// error `out` is left as it was.
[[nodiscard]] result<rewrite_stats> rewrite_node_endpoints_array(bytes_view body, bytes_view array,
                                                                 const address_mapper& map,
                                                                 byte_buffer& out);

// As rewrite_node_endpoints_array for tagged field 0 of a tagged section: appends what
// replaces the tag's entry, from its number to the end of its data `array` (its number, its
// size re-encoded for the new data, the rewritten array).
[[nodiscard]] result<rewrite_stats> rewrite_tagged_node_endpoints_entry(bytes_view body,
                                                                        bytes_view array,
                                                                        const address_mapper& map,
                                                                        byte_buffer& out);

// Appends `body` to `out` with the NodeEndpoints array `array` (a span inside `body`)
// rewritten: ShareFetch/ShareAcknowledge, where it is a regular field. On error `out` is
// left as it was.
[[nodiscard]] result<rewrite_stats> splice_node_endpoints(bytes_view body, bytes_view array,
                                                          const address_mapper& map,
                                                          byte_buffer& out);

// As splice_node_endpoints, for tagged field 0 of a tagged section (Produce, Fetch): `entry`
// is where the tag's number starts inside `body`, `array` the tag's data. The tag's size is
// re-encoded for the new data; the section's count and every other tag are copied.
[[nodiscard]] result<rewrite_stats> splice_tagged_node_endpoints(bytes_view body, std::size_t entry,
                                                                 bytes_view array,
                                                                 const address_mapper& map,
                                                                 byte_buffer& out);

// Where a top-level tagged section keeps NodeEndpoints (tag 0), found while walking it.
struct tagged_node_endpoints {
  std::size_t section_offset = 0;  // start of the section (its count) inside the body
  std::uint32_t tag_count = 0;
  std::size_t entry_offset = 0;              // where tag 0's number starts, if present
  std::optional<bytes_view> node_endpoints;  // tag 0's data, if present
};

// Reads a top-level tagged section that must end the body, noting tag 0. False with the
// error in `r` on malformed sections or trailing bytes.
bool read_top_level_tags(wire_reader& r, tagged_node_endpoints& out);

}  // namespace kpp::protocol
