#include "kpp/protocol/find_coordinator_response.h"

#include <cstddef>
#include <limits>

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"
#include "strict_reads.h"

namespace kpp::protocol {
namespace {

// The strict reads and shared helpers (strict_reads.h).
using namespace detail;

// Which fields a version carries (FindCoordinatorResponse.json).
struct layout {
  bool throttle;       // v1+ ThrottleTimeMs
  bool error_message;  // v1-3 ErrorMessage (top level)
  bool flexible;       // v3+: compact lengths and tagged fields (KIP-482)
  bool batched;        // v4+: Coordinators[] replaces the top-level fields (KIP-699)
};

bool known(std::int16_t v) {
  return v >= find_coordinator_response_min_version && v <= find_coordinator_response_max_version;
}

layout layout_for(std::int16_t v) {
  return layout{.throttle = v >= 1,
                .error_message = v >= 1 && v < find_coordinator_first_batched_version,
                .flexible = v >= 3,
                .batched = v >= find_coordinator_first_batched_version};
}

error unknown() {
  return error{errc::unknown_version, 0, "find_coordinator version"};
}

// Coordinators[] is compact from its first version (v4 > first flexible v3).
std::optional<std::uint32_t> read_entry_count(wire_reader& r) {
  // Key(1) NodeId(4) Host(1) Port(4) ErrorCode(2) ErrorMessage(1) tags(1) at the least.
  return read_array_length(r, true, 14, "coordinators");
}

bool read_entry(wire_reader& r, find_coordinator_entry& e) {
  e.key = read_string(r, true, "coordinators[].key");
  e.node_id = r.i32("coordinators[].node_id");
  e.host = read_string(r, true, "coordinators[].host");
  e.port = r.i32("coordinators[].port");
  e.error_code = r.i16("coordinators[].error_code");
  e.error_message = read_nullable_string(r, true, "coordinators[].error_message");
  e.tagged_fields = read_tags(r);
  return r.ok();
}

void write_entry(wire_writer& w, const find_coordinator_entry& e) {
  w.string(e.key, true);
  w.i32(e.node_id);
  w.string(e.host, true);
  w.i32(e.port);
  w.i16(e.error_code);
  w.nullable_string(e.error_message, true);
  write_tags(w, e.tagged_fields);
}

// The bytes before the address in v0-3: ThrottleTimeMs (v1+), ErrorCode, ErrorMessage (v1+).
void read_single_prefix(wire_reader& r, const layout& l, find_coordinator_response_view& v) {
  if (l.throttle) v.throttle_time_ms = r.i32("throttle_time_ms");
  v.error_code = r.i16("error_code");
  if (l.error_message) v.error_message = read_nullable_string(r, l.flexible, "error_message");
}

}  // namespace

result<find_coordinator_response_view> decode_find_coordinator_response(bytes_view body,
                                                                        std::int16_t version) {
  if (!known(version)) return unknown();
  const layout l = layout_for(version);
  find_coordinator_response_view v;
  v.version = version;
  wire_reader r(body);
  if (l.batched) {
    v.throttle_time_ms = r.i32("throttle_time_ms");
    // The count was checked against the remaining bytes, so reserving by it is bounded.
    if (const auto n = read_entry_count(r)) {
      v.coordinators.reserve(*n);
      for (std::uint32_t i = 0; i < *n && read_entry(r, v.coordinators.emplace_back()); ++i) {
      }
    }
  } else {
    read_single_prefix(r, l, v);
    v.node_id = r.i32("node_id");
    v.host = read_string(r, l.flexible, "host");
    v.port = r.i32("port");
  }
  if (l.flexible) v.tagged_fields = read_tags(r);
  r.expect_end();
  if (!r.ok()) return r.err();
  return v;
}

status encode_find_coordinator_response(const find_coordinator_response_view& v, byte_buffer& out) {
  if (!known(v.version)) return unknown();
  const layout l = layout_for(v.version);
  wire_writer w(out);
  if (l.batched) {
    if (v.coordinators.size() >= std::numeric_limits<std::uint32_t>::max()) {
      return error{errc::invalid_value, 0, "coordinators"};
    }
    w.i32(v.throttle_time_ms);
    w.array_length(static_cast<std::uint32_t>(v.coordinators.size()), true);
    for (const auto& e : v.coordinators) write_entry(w, e);
  } else {
    if (!fits(v.host, l.flexible)) return error{errc::invalid_value, 0, "host"};
    if (!fits(v.error_message, l.flexible)) return error{errc::invalid_value, 0, "error_message"};
    if (l.throttle) w.i32(v.throttle_time_ms);
    w.i16(v.error_code);
    if (l.error_message) w.nullable_string(v.error_message, l.flexible);
    w.i32(v.node_id);
    w.string(v.host, l.flexible);
    w.i32(v.port);
  }
  if (l.flexible) write_tags(w, v.tagged_fields);
  return ok_t{};
}

result<rewrite_stats> rewrite_find_coordinator_response(bytes_view body, std::int16_t version,
                                                        const address_mapper& map,
                                                        byte_buffer& out) {
  if (!known(version)) return unknown();
  const layout l = layout_for(version);
  const std::size_t out_start = out.size();
  const auto fail = [&](const error& e) {
    out.resize(out_start);
    return e;
  };
  // Every entry goes through the mapper, error answers (node id -1) included: the mapper,
  // not the codec, decides what a client sees for them.
  rewrite_stats stats;

  wire_reader r(body);
  wire_writer w(out);
  if (l.batched) {
    r.i32("throttle_time_ms");
    const std::size_t entries_at = r.offset();
    const auto n = read_entry_count(r);
    if (!r.ok()) return fail(r.err());
    w.raw(body.first(entries_at));
    w.array_length(*n, true);
    for (std::uint32_t i = 0; i < *n; ++i) {
      const std::size_t entry_at = r.offset();
      find_coordinator_entry e;
      if (!read_entry(r, e)) return fail(r.err());
      const auto mapped = map_endpoint(map, {e.node_id, e.host, e.port, endpoint_kind::broker});
      if (!mapped) return fail(error{errc::unmapped_node, entry_at, "coordinators[].node_id"});
      stats.changed = stats.changed || mapped->host != e.host || mapped->port != e.port;
      ++stats.addresses;
      e.host = mapped->host;
      e.port = mapped->port;
      write_entry(w, e);
    }
  } else {
    find_coordinator_response_view prefix;
    read_single_prefix(r, l, prefix);
    const std::size_t node_at = r.offset();
    const std::int32_t node_id = r.i32("node_id");
    const std::string_view host = read_string(r, l.flexible, "host");
    const std::int32_t port = r.i32("port");
    if (!r.ok()) return fail(r.err());
    const auto mapped = map_endpoint(map, {node_id, host, port, endpoint_kind::broker});
    if (!mapped) return fail(error{errc::unmapped_node, node_at, "node_id"});
    if (!fits(mapped->host, l.flexible)) {
      return fail(error{errc::invalid_value, node_at, "host (mapped)"});
    }
    stats.changed = mapped->host != host || mapped->port != port;
    ++stats.addresses;
    w.raw(body.first(node_at));
    w.i32(node_id);
    w.string(mapped->host, l.flexible);
    w.i32(mapped->port);
  }
  // v3+: the top-level tagged fields, copied unread.
  w.raw(body.subspan(r.offset()));
  if (!stats.changed) out.resize(out_start);
  return stats;
}

}  // namespace kpp::protocol
