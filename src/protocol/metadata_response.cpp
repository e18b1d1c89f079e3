#include "kpp/protocol/metadata_response.h"

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

// Which fields a version carries (MetadataResponse.json; v13 from KIP-1102).
struct layout {
  bool flexible;          // v9+: compact lengths and tagged fields (KIP-482)
  bool throttle;          // v3+ ThrottleTimeMs
  bool rack;              // v1+ Brokers[].Rack
  bool cluster_id;        // v2+ ClusterId
  bool controller_id;     // v1+ ControllerId
  bool is_internal;       // v1+ Topics[].IsInternal
  bool offline_replicas;  // v5+ Partitions[].OfflineReplicas
  bool leader_epoch;      // v7+ Partitions[].LeaderEpoch
  bool topic_auth_ops;    // v8+ Topics[].TopicAuthorizedOperations
  bool cluster_auth_ops;  // v8-10 ClusterAuthorizedOperations (KIP-700 moved it out at v11)
  bool topic_id;          // v10+ Topics[].TopicId
  bool nullable_name;     // v12+ Topics[].Name may be null (topics queried by id)
  bool error_code;        // v13+ top-level ErrorCode (KIP-1102)
};

bool known(std::int16_t v) {
  return v >= metadata_response_min_version && v <= metadata_response_max_version;
}

layout layout_for(std::int16_t v) {
  return layout{.flexible = v >= 9,
                .throttle = v >= 3,
                .rack = v >= 1,
                .cluster_id = v >= 2,
                .controller_id = v >= 1,
                .is_internal = v >= 1,
                .offline_replicas = v >= 5,
                .leader_epoch = v >= 7,
                .topic_auth_ops = v >= 8,
                .cluster_auth_ops = v >= 8 && v <= 10,
                .topic_id = v >= 10,
                .nullable_name = v >= 12,
                .error_code = v >= 13};
}

error unknown() {
  return error{errc::unknown_version, 0, "metadata version"};
}

std::size_t min_broker_size(const layout& l) {
  const std::size_t str = l.flexible ? 1 : 2;  // shortest length prefix
  return 4 + str + 4 + (l.rack ? str : 0) + (l.flexible ? 1 : 0);
}

bool read_broker(wire_reader& r, const layout& l, metadata_broker& b) {
  b.node_id = r.i32("brokers[].node_id");
  b.host = read_string(r, l.flexible, "brokers[].host");
  b.port = r.i32("brokers[].port");
  if (l.rack) b.rack = read_nullable_string(r, l.flexible, "brokers[].rack");
  if (l.flexible) b.tagged_fields = read_tags(r);
  return r.ok();
}

void write_broker(wire_writer& w, const layout& l, const metadata_broker& b) {
  w.i32(b.node_id);
  w.string(b.host, l.flexible);
  w.i32(b.port);
  if (l.rack) w.nullable_string(b.rack, l.flexible);
  if (l.flexible) write_tags(w, b.tagged_fields);
}

// --- Topics are walked only to find where they end; nothing in them is kept. ---

bool skip_int32_array(wire_reader& r, bool flexible, std::string_view field) {
  const auto n = r.array_length(flexible, 4, field);
  return n && r.skip(std::size_t{*n} * 4, field);
}

std::size_t min_partition_size(const layout& l) {
  const std::size_t arr = l.flexible ? 1 : 4;
  return 2 + 4 + 4 + (l.leader_epoch ? 4 : 0) + 2 * arr + (l.offline_replicas ? arr : 0) +
         (l.flexible ? 1 : 0);
}

std::size_t min_topic_size(const layout& l) {
  return 2 + (l.flexible ? 1 : 2) + (l.topic_id ? 16 : 0) + (l.is_internal ? 1 : 0) +
         (l.flexible ? 1 : 4) + (l.topic_auth_ops ? 4 : 0) + (l.flexible ? 1 : 0);
}

bool skip_partition(wire_reader& r, const layout& l) {
  // ErrorCode int16, PartitionIndex int32, LeaderId int32, LeaderEpoch int32 (v7+)
  r.skip(2 + 4 + 4 + (l.leader_epoch ? 4 : 0), "topics[].partitions[]");
  skip_int32_array(r, l.flexible, "topics[].partitions[].replica_nodes");
  skip_int32_array(r, l.flexible, "topics[].partitions[].isr_nodes");
  if (l.offline_replicas) skip_int32_array(r, l.flexible, "topics[].partitions[].offline_replicas");
  if (l.flexible) skip_tagged_fields(r);
  return r.ok();
}

bool skip_topic(wire_reader& r, const layout& l) {
  r.skip(2, "topics[].error_code");
  if (l.nullable_name) {
    r.nullable_string(l.flexible, "topics[].name");
  } else {
    r.string(l.flexible, "topics[].name");
  }
  if (l.topic_id) r.skip(16, "topics[].topic_id");
  if (l.is_internal) r.skip(1, "topics[].is_internal");
  const auto n = r.array_length(l.flexible, min_partition_size(l), "topics[].partitions");
  for (std::uint32_t i = 0; r.ok() && n && i < *n; ++i) skip_partition(r, l);
  if (l.topic_auth_ops) r.skip(4, "topics[].topic_authorized_operations");
  if (l.flexible) skip_tagged_fields(r);
  return r.ok();
}

bool skip_topics(wire_reader& r, const layout& l) {
  const auto n = r.array_length(l.flexible, min_topic_size(l), "topics");
  for (std::uint32_t i = 0; r.ok() && n && i < *n; ++i) skip_topic(r, l);
  return r.ok();
}

}  // namespace

result<metadata_response_view> decode_metadata_response(bytes_view body, std::int16_t version) {
  if (!known(version)) return unknown();
  const layout l = layout_for(version);
  metadata_response_view v;
  v.version = version;
  wire_reader r(body);
  if (l.throttle) v.throttle_time_ms = r.i32("throttle_time_ms");
  // The count was checked against the remaining bytes, so reserving by it is bounded.
  if (const auto n = read_array_length(r, l.flexible, min_broker_size(l), "brokers")) {
    v.brokers.reserve(*n);
    for (std::uint32_t i = 0; i < *n && read_broker(r, l, v.brokers.emplace_back()); ++i) {
    }
  }
  if (l.cluster_id) v.cluster_id = read_nullable_string(r, l.flexible, "cluster_id");
  if (l.controller_id) v.controller_id = r.i32("controller_id");
  const std::size_t topics_at = r.offset();
  if (skip_topics(r, l)) v.topics = r.since(topics_at);
  if (l.cluster_auth_ops) v.cluster_authorized_operations = r.i32("cluster_authorized_operations");
  if (l.error_code) v.error_code = r.i16("error_code");
  if (l.flexible) v.tagged_fields = read_tags(r);
  r.expect_end();
  if (!r.ok()) return r.err();
  return v;
}

status encode_metadata_response(const metadata_response_view& v, byte_buffer& out) {
  if (!known(v.version)) return unknown();
  const layout l = layout_for(v.version);
  if (v.brokers.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return error{errc::invalid_value, 0, "brokers"};
  }
  for (const auto& b : v.brokers) {
    if (!fits(b.host, l.flexible)) return error{errc::invalid_value, 0, "brokers[].host"};
    if (!fits(b.rack, l.flexible)) return error{errc::invalid_value, 0, "brokers[].rack"};
  }
  if (!fits(v.cluster_id, l.flexible)) return error{errc::invalid_value, 0, "cluster_id"};

  wire_writer w(out);
  if (l.throttle) w.i32(v.throttle_time_ms);
  w.array_length(static_cast<std::uint32_t>(v.brokers.size()), l.flexible);
  for (const auto& b : v.brokers) write_broker(w, l, b);
  if (l.cluster_id) w.nullable_string(v.cluster_id, l.flexible);
  if (l.controller_id) w.i32(v.controller_id);
  if (v.topics.empty()) {
    w.array_length(0, l.flexible);
  } else {
    w.raw(v.topics);
  }
  if (l.cluster_auth_ops) w.i32(v.cluster_authorized_operations);
  if (l.error_code) w.i16(v.error_code);
  if (l.flexible) write_tags(w, v.tagged_fields);
  return ok_t{};
}

result<rewrite_stats> rewrite_metadata_response(bytes_view body, std::int16_t version,
                                                const address_mapper& map, byte_buffer& out) {
  if (!known(version)) return unknown();
  const layout l = layout_for(version);
  const std::size_t out_start = out.size();
  const auto fail = [&](const error& e) {
    out.resize(out_start);
    return e;
  };

  wire_reader r(body);
  wire_writer w(out);
  if (l.throttle) r.i32("throttle_time_ms");
  const std::size_t brokers_at = r.offset();
  const auto n = read_array_length(r, l.flexible, min_broker_size(l), "brokers");
  if (!r.ok()) return fail(r.err());
  w.raw(body.first(brokers_at));
  w.array_length(*n, l.flexible);

  rewrite_stats stats;
  for (std::uint32_t i = 0; i < *n; ++i) {
    const std::size_t entry_at = r.offset();
    metadata_broker b;
    if (!read_broker(r, l, b)) return fail(r.err());
    const auto mapped = map_endpoint(map, {b.node_id, b.host, b.port, endpoint_kind::broker});
    if (!mapped) return fail(error{errc::unmapped_node, entry_at, "brokers[].node_id"});
    if (!fits(mapped->host, l.flexible)) {
      return fail(error{errc::invalid_value, entry_at, "brokers[].host (mapped)"});
    }
    stats.changed = stats.changed || mapped->host != b.host || mapped->port != b.port;
    b.host = mapped->host;
    b.port = mapped->port;
    write_broker(w, l, b);
    ++stats.addresses;
  }
  // Cluster id, controller, topics and tagged fields: not the proxy's business, one copy.
  w.raw(body.subspan(r.offset()));
  if (!stats.changed) out.resize(out_start);
  return stats;
}

}  // namespace kpp::protocol
