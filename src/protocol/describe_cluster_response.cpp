#include "kpp/protocol/describe_cluster_response.h"

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

// DescribeCluster is flexible from v0 (KIP-482 era API): every length is compact.
constexpr bool flexible = true;

bool known(std::int16_t v) {
  return v >= describe_cluster_response_min_version && v <= describe_cluster_response_max_version;
}
bool has_endpoint_type(std::int16_t v) {
  return v >= 1;
}  // KIP-919
bool has_is_fenced(std::int16_t v) {
  return v >= 2;
}  // KIP-1073

error unknown() {
  return error{errc::unknown_version, 0, "describe_cluster version"};
}

// Java reads any non-zero byte as true, but writes only 0 and 1; so do we.
bool read_bool(wire_reader& r, std::string_view field) {
  const std::size_t start = r.offset();
  const std::int8_t b = r.i8(field);
  if (r.ok() && b != 0 && b != 1) r.fail_at(errc::invalid_value, start, field);
  return b == 1;
}

struct prefix {
  std::int32_t throttle_time_ms = 0;
  std::int16_t error_code = 0;
  std::optional<std::string_view> error_message;
  std::int8_t endpoint_type = describe_cluster_endpoint_brokers;
  std::string_view cluster_id;
  std::int32_t controller_id = -1;
};

// Everything before Brokers[].
prefix read_prefix(wire_reader& r, std::int16_t version) {
  prefix p;
  p.throttle_time_ms = r.i32("throttle_time_ms");
  p.error_code = r.i16("error_code");
  p.error_message = read_nullable_string(r, flexible, "error_message");
  if (has_endpoint_type(version)) {
    const std::size_t at = r.offset();
    p.endpoint_type = r.i8("endpoint_type");
    if (r.ok() && p.endpoint_type != describe_cluster_endpoint_brokers &&
        p.endpoint_type != describe_cluster_endpoint_controllers) {
      r.fail_at(errc::invalid_value, at, "endpoint_type");
    }
  }
  p.cluster_id = read_string(r, flexible, "cluster_id");
  p.controller_id = r.i32("controller_id");
  return p;
}

std::optional<std::uint32_t> read_broker_count(wire_reader& r, std::int16_t version) {
  // BrokerId(4) Host(1) Port(4) Rack(1) IsFenced(1, v2+) tags(1) at the least.
  const std::size_t min = 11 + (has_is_fenced(version) ? 1 : 0);
  return read_array_length(r, flexible, min, "brokers");
}

bool read_broker(wire_reader& r, std::int16_t version, describe_cluster_broker& b) {
  b.broker_id = r.i32("brokers[].broker_id");
  b.host = read_string(r, flexible, "brokers[].host");
  b.port = r.i32("brokers[].port");
  b.rack = read_nullable_string(r, flexible, "brokers[].rack");
  if (has_is_fenced(version)) b.is_fenced = read_bool(r, "brokers[].is_fenced");
  b.tagged_fields = read_tags(r);
  return r.ok();
}

void write_broker(wire_writer& w, std::int16_t version, const describe_cluster_broker& b) {
  w.i32(b.broker_id);
  w.string(b.host, flexible);
  w.i32(b.port);
  w.nullable_string(b.rack, flexible);
  if (has_is_fenced(version)) w.boolean(b.is_fenced);
  write_tags(w, b.tagged_fields);
}

}  // namespace

result<describe_cluster_response_view> decode_describe_cluster_response(bytes_view body,
                                                                        std::int16_t version) {
  if (!known(version)) return unknown();
  describe_cluster_response_view v;
  v.version = version;
  wire_reader r(body);
  const prefix p = read_prefix(r, version);
  v.throttle_time_ms = p.throttle_time_ms;
  v.error_code = p.error_code;
  v.error_message = p.error_message;
  v.endpoint_type = p.endpoint_type;
  v.cluster_id = p.cluster_id;
  v.controller_id = p.controller_id;
  // The count was checked against the remaining bytes, so reserving by it is bounded.
  if (const auto n = read_broker_count(r, version)) {
    v.brokers.reserve(*n);
    for (std::uint32_t i = 0; i < *n && read_broker(r, version, v.brokers.emplace_back()); ++i) {
    }
  }
  v.cluster_authorized_operations = r.i32("cluster_authorized_operations");
  v.tagged_fields = read_tags(r);
  r.expect_end();
  if (!r.ok()) return r.err();
  return v;
}

status encode_describe_cluster_response(const describe_cluster_response_view& v, byte_buffer& out) {
  if (!known(v.version)) return unknown();
  if (v.brokers.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return error{errc::invalid_value, 0, "brokers"};
  }
  wire_writer w(out);
  w.i32(v.throttle_time_ms);
  w.i16(v.error_code);
  w.nullable_string(v.error_message, flexible);
  if (has_endpoint_type(v.version)) w.i8(v.endpoint_type);
  w.string(v.cluster_id, flexible);
  w.i32(v.controller_id);
  w.array_length(static_cast<std::uint32_t>(v.brokers.size()), flexible);
  for (const auto& b : v.brokers) write_broker(w, v.version, b);
  w.i32(v.cluster_authorized_operations);
  write_tags(w, v.tagged_fields);
  return ok_t{};
}

result<rewrite_stats> rewrite_describe_cluster_response(bytes_view body, std::int16_t version,
                                                        const address_mapper& map,
                                                        byte_buffer& out) {
  if (!known(version)) return unknown();
  const std::size_t out_start = out.size();
  const auto fail = [&](const error& e) {
    out.resize(out_start);
    return e;
  };

  wire_reader r(body);
  wire_writer w(out);
  const prefix p = read_prefix(r, version);
  const std::size_t brokers_at = r.offset();
  const auto n = read_broker_count(r, version);
  if (!r.ok()) return fail(r.err());
  // KIP-919: with EndpointType 2 the entries are controllers, which the mapper may place on
  // other ports (or refuse).
  const endpoint_kind kind = p.endpoint_type == describe_cluster_endpoint_controllers
                                 ? endpoint_kind::controller
                                 : endpoint_kind::broker;
  w.raw(body.first(brokers_at));
  w.array_length(*n, flexible);

  rewrite_stats stats;
  for (std::uint32_t i = 0; i < *n; ++i) {
    const std::size_t entry_at = r.offset();
    describe_cluster_broker b;
    if (!read_broker(r, version, b)) return fail(r.err());
    const auto mapped = map_endpoint(map, {b.broker_id, b.host, b.port, kind});
    if (!mapped) return fail(error{errc::unmapped_node, entry_at, "brokers[].broker_id"});
    stats.changed = stats.changed || mapped->host != b.host || mapped->port != b.port;
    ++stats.addresses;
    b.host = mapped->host;
    b.port = mapped->port;
    write_broker(w, version, b);
  }
  // ClusterAuthorizedOperations and the top-level tagged fields, copied unread.
  w.raw(body.subspan(r.offset()));
  if (!stats.changed) out.resize(out_start);
  return stats;
}

}  // namespace kpp::protocol
