#include "kpp/protocol/node_endpoints.h"

#include <array>

#include "kpp/protocol/tagged_fields.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;  // KIP-951 postdates KIP-482: NodeEndpoints is always compact

// Error offsets of a sub-reader are relative to its span; callers report body offsets.
error rebase(error e, bytes_view body, bytes_view part) {
  e.offset += static_cast<std::size_t>(part.data() - body.data());
  return e;
}

}  // namespace

bool read_node_endpoint(wire_reader& r, node_endpoint& out) {
  out.node_id = r.i32("node_endpoints[].node_id");
  out.host = r.string(compact, "node_endpoints[].host");
  out.port = r.i32("node_endpoints[].port");
  out.rack = r.nullable_string(compact, "node_endpoints[].rack");
  const std::size_t tags_at = r.offset();
  skip_tagged_fields(r);
  out.tagged_fields = r.since(tags_at);
  return r.ok();
}

void write_node_endpoint(wire_writer& w, const node_endpoint& e) {
  w.i32(e.node_id);
  w.string(e.host, compact);
  w.i32(e.port);
  w.nullable_string(e.rack, compact);
  if (e.tagged_fields.empty()) {
    write_tagged_count(w, 0);
  } else {
    w.raw(e.tagged_fields);
  }
}

bool skip_node_endpoints(wire_reader& r, bytes_view& array, std::uint32_t& count) {
  const std::size_t start = r.offset();
  const auto n = r.array_length(compact, node_endpoint_min_size, "node_endpoints");
  if (!r.ok()) return false;
  node_endpoint e;
  for (std::uint32_t i = 0; i < *n; ++i) {
    if (!read_node_endpoint(r, e)) return false;
  }
  count = *n;
  array = r.since(start);
  return true;
}

result<std::vector<node_endpoint>> decode_node_endpoints(bytes_view array) {
  wire_reader r{array};
  const auto n = r.array_length(compact, node_endpoint_min_size, "node_endpoints");
  if (!r.ok()) return r.err();
  std::vector<node_endpoint> out(*n);  // n was checked against the bytes that remain
  for (auto& e : out) {
    if (!read_node_endpoint(r, e)) return r.err();
  }
  if (!r.expect_end("node_endpoints")) return r.err();
  return out;
}

void encode_node_endpoints(wire_writer& w, std::span<const node_endpoint> endpoints) {
  w.array_length(static_cast<std::uint32_t>(endpoints.size()), compact);
  for (const auto& e : endpoints) write_node_endpoint(w, e);
}

bool rewrite_node_endpoints(wire_reader& r, const address_mapper& map, wire_writer& w,
                            rewrite_stats& stats) {
  const auto n = r.array_length(compact, node_endpoint_min_size, "node_endpoints");
  if (!r.ok()) return false;
  w.array_length(*n, compact);
  node_endpoint e;
  for (std::uint32_t i = 0; i < *n; ++i) {
    const std::size_t at = r.offset();
    if (!read_node_endpoint(r, e)) return false;
    const auto adv = map(endpoint{e.node_id, e.host, e.port, endpoint_kind::broker});
    if (!adv) return r.fail_at(errc::unmapped_node, at, "node_endpoints[].node_id");
    if (adv->port < 0 || adv->port > 65535) {
      return r.fail_at(errc::invalid_value, at, "node_endpoints[].port (advertised)");
    }
    e.host = adv->host;
    e.port = adv->port;
    write_node_endpoint(w, e);
    ++stats.addresses;
  }
  return true;
}

result<rewrite_stats> rewrite_node_endpoints_array(bytes_view body, bytes_view array,
                                                   const address_mapper& map, byte_buffer& out) {
  const std::size_t mark = out.size();
  wire_reader r{array};
  wire_writer w{out};
  rewrite_stats stats;
  if (!rewrite_node_endpoints(r, map, w, stats) || !r.expect_end("node_endpoints")) {
    out.resize(mark);
    return rebase(r.err(), body, array);
  }
  if (stats.addresses == 0) {  // an empty array: nothing to change, forward the input
    out.resize(mark);
    return rewrite_stats{};
  }
  stats.changed = true;
  return stats;
}

result<rewrite_stats> rewrite_tagged_node_endpoints_entry(bytes_view body, bytes_view array,
                                                          const address_mapper& map,
                                                          byte_buffer& out) {
  const std::size_t mark = out.size();
  wire_writer w{out};
  w.uvarint(0);  // tag 0: NodeEndpoints
  // The tag's size precedes its data but is only known once the data is written: write the
  // data first, then insert the size in front of it (a few bytes moved, no second buffer).
  const std::size_t data_at = out.size();
  auto stats = rewrite_node_endpoints_array(body, array, map, out);
  if (!stats || !stats->changed) {
    out.resize(mark);
    return stats;
  }
  auto size = static_cast<std::uint32_t>(out.size() - data_at);
  std::array<std::byte, 5> prefix{};
  std::size_t len = 0;
  do {
    auto b = static_cast<std::uint8_t>(size & 0x7F);
    size >>= 7;
    if (size != 0) b |= 0x80;
    prefix[len++] = static_cast<std::byte>(b);
  } while (size != 0);
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(data_at), prefix.begin(),
             prefix.begin() + static_cast<std::ptrdiff_t>(len));
  return stats;
}

namespace {

// `body` with body[from, to) replaced by what `middle` appends, appended to `out`.
template <class Middle>
result<rewrite_stats> splice(bytes_view body, std::size_t from, std::size_t to, byte_buffer& out,
                             Middle&& middle) {
  const std::size_t mark = out.size();
  out.reserve(mark + body.size() + 64);
  out.insert(out.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(from));
  auto stats = middle();
  if (!stats || !stats->changed) {
    out.resize(mark);
    return stats;
  }
  out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(to), body.end());
  return stats;
}

std::size_t end_of(bytes_view body, bytes_view part) {
  return static_cast<std::size_t>(part.data() - body.data()) + part.size();
}

}  // namespace

result<rewrite_stats> splice_node_endpoints(bytes_view body, bytes_view array,
                                            const address_mapper& map, byte_buffer& out) {
  const auto from = static_cast<std::size_t>(array.data() - body.data());
  return splice(body, from, end_of(body, array), out,
                [&] { return rewrite_node_endpoints_array(body, array, map, out); });
}

result<rewrite_stats> splice_tagged_node_endpoints(bytes_view body, std::size_t entry,
                                                   bytes_view array, const address_mapper& map,
                                                   byte_buffer& out) {
  return splice(body, entry, end_of(body, array), out,
                [&] { return rewrite_tagged_node_endpoints_entry(body, array, map, out); });
}

bool read_top_level_tags(wire_reader& r, tagged_node_endpoints& out) {
  out.section_offset = r.offset();
  out.tag_count = r.uvarint("tagged fields count");
  if (!r.ok()) return false;
  // Each entry takes at least a 1-byte tag and a 1-byte size.
  if (out.tag_count > r.remaining() / 2) {
    return r.fail_at(errc::bad_length, out.section_offset, "tagged fields count");
  }
  std::uint32_t prev = 0;
  for (std::uint32_t i = 0; i < out.tag_count; ++i) {
    const std::size_t tag_at = r.offset();
    const std::uint32_t tag = r.uvarint("tagged field tag");
    if (!r.ok()) return false;
    // KIP-482: strictly ascending, each tag at most once.
    if (i > 0 && tag <= prev) return r.fail_at(errc::bad_tag_order, tag_at, "tagged field tag");
    prev = tag;
    const std::size_t size_at = r.offset();
    const std::uint32_t size = r.uvarint("tagged field size");
    if (!r.ok()) return false;
    if (size > r.remaining()) return r.fail_at(errc::bad_length, size_at, "tagged field size");
    const bytes_view data = r.raw(size, "tagged field data");
    if (tag == 0) {
      out.entry_offset = tag_at;
      out.node_endpoints = data;
    }
  }
  return r.expect_end();
}

}  // namespace kpp::protocol
