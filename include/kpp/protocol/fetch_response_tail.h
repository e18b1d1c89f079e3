// The end of a streamed flexible Fetch response (fetch_response_stream.h): its top-level tagged
// section, rewritten to a size fixed before the body was forwarded.
//
// The proxy announces the frame as the upstream's size plus a reserve R, streams the body
// verbatim, and then writes exactly the original section's size + R bytes: the section with
// NodeEndpoints (tag 0, KIP-951) rewritten, every other tag copied, and one padding field last,
// an unknown tag sized so the frame ends where it was announced. When the rewritten
// NodeEndpoints cannot fit, it is dropped (the caller counts it): clients then refresh their
// metadata, as they did before KIP-951.
//
// Every client skips a tag it does not know (checked in their sources):
//   - librdkafka src/rdkafka_buf.h rd_kafka_buf_read_tags: a tag the reader callback does not
//     handle (rdkafka_fetcher.c rd_kafkap_Fetch_reply_tags_parse returns 0 but for tag 0) is
//     skipped with rd_kafka_buf_skip(taglen); rd_kafka_buf_skip_tags skips every tag.
//   - Java (Apache Kafka's generated FetchResponseData.read): `default:` stores the tag with
//     _readable.readUnknownTaggedField(_unknownTaggedFields, _tag, _size).
//   - franz-go (generate/gen.go, Struct.WriteDecode, which writes kmsg's readers): `default:
//     s.UnknownTags.Set(key, b.Span(int(b.Uvarint())))`.
//   - @platformatic/kafka 2.12 (dist/apis/tagged-fields.js readKnownTaggedFields, used by
//     fetch-v12..v17.js): no handler for the tag -> reader.skip(size).
// All read the tag as an unsigned varint into at least 31 bits, so a 2- or 3-byte tag is safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// The padding field's tag: the largest 2-byte tag (Fetch's top-level tags are single digits
// today). When a 2-byte tag cannot make the size exact (a size varint widening skips one
// total), the next tag, the smallest 3-byte one, does.
inline constexpr std::uint32_t fetch_padding_tag = 0x3FFF;
inline constexpr std::uint32_t fetch_padding_tag_wide = 0x4000;

// The smallest reserve that always works: a padding field takes 3 bytes at the least (tag 2,
// size 1), and adding it may widen the section's count varint by 1. A dropped NodeEndpoints
// frees at least 3 bytes (tag, size, empty array), so with NodeEndpoints dropped 4 suffices
// as well.
inline constexpr std::size_t fetch_tail_min_reserve = 4;

struct fetch_tail_stats {
  std::size_t addresses = 0;            // NodeEndpoints entries rewritten
  bool node_endpoints_dropped = false;  // it did not fit in the reserve
  std::uint32_t padding_tag = 0;
  std::size_t padding = 0;  // the padding field's data bytes (zeros)
};

// Appends exactly tail.size() + reserve bytes to `out`: the top-level section `tail` (as
// fetch_response_stream::tail() returns it) rewritten as described above. Errors leave `out`
// as it was: a malformed section, an unmapped node (unmapped_node: fail closed, as every
// rewrite does), a reserve below fetch_tail_min_reserve, or a top-level tag at or above the
// padding tag (invalid_value). Error offsets are relative to `tail`.
[[nodiscard]] result<fetch_tail_stats> rewrite_fetch_tail(bytes_view tail,
                                                          const address_mapper& map,
                                                          std::size_t reserve, byte_buffer& out);

}  // namespace kpp::protocol
