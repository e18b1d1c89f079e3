// Internal to the protocol layer: the reads and writes shared by the codecs that rewrite
// addresses (FindCoordinator, Metadata, DescribeCluster) and must round-trip byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol::detail {

// Kafka writes every varint in its shortest form. A longer one decodes to the same value but
// would re-encode differently, so the byte-identical round trip requires rejecting it.
inline void require_shortest(wire_reader& r, std::size_t start, std::uint64_t prefix,
                             std::size_t payload, std::string_view field) {
  if (r.ok() && r.offset() - start != uvarint_size(static_cast<std::uint32_t>(prefix)) + payload) {
    r.fail_at(errc::invalid_value, start, field);
  }
}

// As wire_reader::nullable_string, but a compact length must be in its shortest form.
inline std::optional<std::string_view> read_nullable_string(wire_reader& r, bool flexible,
                                                            std::string_view field) {
  const std::size_t start = r.offset();
  const auto s = r.nullable_string(flexible, field);
  if (flexible) require_shortest(r, start, s ? s->size() + 1 : 0, s ? s->size() : 0, field);
  return r.ok() ? s : std::nullopt;
}

// As wire_reader::string, but a compact length must be in its shortest form.
inline std::string_view read_string(wire_reader& r, bool flexible, std::string_view field) {
  const std::size_t start = r.offset();
  const auto s = r.string(flexible, field);
  if (flexible) require_shortest(r, start, s.size() + 1, s.size(), field);
  return s;
}

// As wire_reader::array_length (non-nullable), but a compact count must be in its shortest
// form.
inline std::optional<std::uint32_t> read_array_length(wire_reader& r, bool flexible,
                                                      std::size_t min_element_size,
                                                      std::string_view field) {
  const std::size_t start = r.offset();
  const auto n = r.array_length(flexible, min_element_size, field);
  if (flexible && n) require_shortest(r, start, std::uint64_t{*n} + 1, 0, field);
  return r.ok() ? n : std::nullopt;
}

// A tagged section as a raw span (count included), validated but not interpreted.
inline bytes_view read_tags(wire_reader& r) {
  const std::size_t start = r.offset();
  if (!skip_tagged_fields(r)) return {};
  return r.since(start);
}

// A section kept by read_tags, or an empty one when none was kept.
inline void write_tags(wire_writer& w, bytes_view section) {
  if (section.empty()) {
    write_tagged_count(w, 0);
  } else {
    w.raw(section);
  }
}

// Classic strings carry an int16 length; a longer value cannot be written.
inline bool fits(std::optional<std::string_view> s, bool flexible) {
  const std::size_t max = flexible ? std::numeric_limits<std::uint32_t>::max() - 1
                                   : std::numeric_limits<std::int16_t>::max();
  return !s || s->size() <= max;
}

// A missing mapper refuses everything, like a mapper returning nullopt: fail closed.
inline std::optional<advertised_endpoint> map_endpoint(const address_mapper& map,
                                                       const endpoint& ep) {
  if (!map) return std::nullopt;
  return map(ep);
}

}  // namespace kpp::protocol::detail
