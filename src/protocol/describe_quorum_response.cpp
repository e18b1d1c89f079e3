#include "kpp/protocol/describe_quorum_response.h"

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;  // flexible from v0
// Node: NodeId 4 + Listeners 1 + tags 1. Listener: Name 1 + Host 1 + Port 2 + tags 1.
constexpr std::size_t node_min = 6;
constexpr std::size_t listener_min = 5;

bool read_listener(wire_reader& r, quorum_listener& l) {
  l.name = r.string(compact, "nodes[].listeners[].name");
  l.host = r.string(compact, "nodes[].listeners[].host");
  l.port = r.u16("nodes[].listeners[].port");
  const std::size_t tags_at = r.offset();
  skip_tagged_fields(r);
  l.tagged_fields = r.since(tags_at);
  return r.ok();
}

void write_listener(wire_writer& w, const quorum_listener& l) {
  w.string(l.name, compact);
  w.string(l.host, compact);
  w.u16(l.port);
  if (l.tagged_fields.empty()) {
    write_tagged_count(w, 0);
  } else {
    w.raw(l.tagged_fields);
  }
}

bool skip_replicas(wire_reader& r, std::int16_t version, std::uint32_t& replicas) {
  // ReplicaId 4 + ReplicaDirectoryId 16 (v2+) + LogEndOffset 8 + two timestamps 16 (v1+).
  const std::size_t fixed = 12 + (version >= 1 ? 16 : 0) + (version >= 2 ? 16 : 0);
  const auto n = r.array_length(compact, fixed + 1, "topics[].partitions[].replicas");
  if (!r.ok()) return false;
  replicas += *n;
  for (std::uint32_t i = 0; i < *n; ++i) {
    r.skip(fixed, "topics[].partitions[].replicas[]");
    skip_tagged_fields(r);
  }
  return r.ok();
}

bool skip_partition(wire_reader& r, std::int16_t version, std::uint32_t& replicas) {
  r.skip(6, "topics[].partitions[]");  // PartitionIndex, ErrorCode
  if (version >= 2) (void)r.nullable_string(compact, "topics[].partitions[].error_message");
  r.skip(16, "topics[].partitions[]");  // LeaderId, LeaderEpoch, HighWatermark
  skip_replicas(r, version, replicas);  // CurrentVoters
  skip_replicas(r, version, replicas);  // Observers
  return skip_tagged_fields(r);
}

}  // namespace

result<describe_quorum_response_layout> scan_describe_quorum_response(bytes_view body,
                                                                      std::int16_t version) {
  if (version < 0 || version > describe_quorum_max_version) {
    return error{errc::unknown_version, 0, "describe quorum response version"};
  }
  wire_reader r{body};
  describe_quorum_response_layout layout;
  layout.error_code = r.i16("error_code");
  if (version >= 2) (void)r.nullable_string(compact, "error_message");
  const auto topics = r.array_length(compact, 3, "topics");
  if (!r.ok()) return r.err();
  layout.topics = *topics;
  // Partition: fixed 22 + ErrorMessage 1 (v2+) + two arrays 2 + tags 1.
  const std::size_t partition_min = 25 + (version >= 2 ? 1 : 0);
  for (std::uint32_t t = 0; t < *topics; ++t) {
    (void)r.string(compact, "topics[].topic_name");
    const auto parts = r.array_length(compact, partition_min, "topics[].partitions");
    if (!r.ok()) return r.err();
    layout.partitions += *parts;
    for (std::uint32_t p = 0; p < *parts; ++p) {
      if (!skip_partition(r, version, layout.replicas)) return r.err();
    }
    if (!skip_tagged_fields(r)) return r.err();
  }
  if (version >= describe_quorum_first_with_nodes) {
    const std::size_t start = r.offset();
    const auto nodes = r.array_length(compact, node_min, "nodes");
    if (!r.ok()) return r.err();
    layout.node_count = *nodes;
    quorum_listener l;
    for (std::uint32_t n = 0; n < *nodes; ++n) {
      r.skip(4, "nodes[].node_id");
      const auto ls = r.array_length(compact, listener_min, "nodes[].listeners");
      if (!r.ok()) return r.err();
      for (std::uint32_t i = 0; i < *ls; ++i) {
        if (!read_listener(r, l)) return r.err();
      }
      if (!skip_tagged_fields(r)) return r.err();
    }
    layout.nodes = r.since(start);
  }
  skip_tagged_fields(r);
  if (!r.expect_end()) return r.err();
  return layout;
}

result<std::vector<quorum_node>> decode_quorum_nodes(bytes_view array) {
  wire_reader r{array};
  const auto nodes = r.array_length(compact, node_min, "nodes");
  if (!r.ok()) return r.err();
  std::vector<quorum_node> out(*nodes);  // checked against the bytes that remain
  for (auto& node : out) {
    node.node_id = r.i32("nodes[].node_id");
    const auto ls = r.array_length(compact, listener_min, "nodes[].listeners");
    if (!r.ok()) return r.err();
    node.listeners.resize(*ls);
    for (auto& l : node.listeners) {
      if (!read_listener(r, l)) return r.err();
    }
    const std::size_t tags_at = r.offset();
    if (!skip_tagged_fields(r)) return r.err();
    node.tagged_fields = r.since(tags_at);
  }
  if (!r.expect_end("nodes")) return r.err();
  return out;
}

void encode_quorum_nodes(wire_writer& w, std::span<const quorum_node> nodes) {
  w.array_length(static_cast<std::uint32_t>(nodes.size()), compact);
  for (const auto& node : nodes) {
    w.i32(node.node_id);
    w.array_length(static_cast<std::uint32_t>(node.listeners.size()), compact);
    for (const auto& l : node.listeners) write_listener(w, l);
    if (node.tagged_fields.empty()) {
      write_tagged_count(w, 0);
    } else {
      w.raw(node.tagged_fields);
    }
  }
}

result<rewrite_stats> rewrite_describe_quorum_response(bytes_view body, std::int16_t version,
                                                       const address_mapper& map,
                                                       byte_buffer& out) {
  // KIP-853: only v2 has listeners; v0-1 are streamed and never reach this function.
  if (version != describe_quorum_first_with_nodes) {
    return error{errc::unknown_version, 0, "describe quorum response version"};
  }
  auto layout = scan_describe_quorum_response(body, version);
  if (!layout) return layout.error();
  const auto nodes_at = static_cast<std::size_t>(layout->nodes.data() - body.data());
  const std::size_t mark = out.size();
  out.reserve(mark + body.size() + 64);
  out.insert(out.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(nodes_at));
  wire_reader r{body};
  r.skip(nodes_at, "nodes");
  wire_writer w{out};
  rewrite_stats stats;
  // The layout walk validated the array; this pass reads it again to write each entry.
  const auto nodes = r.array_length(compact, node_min, "nodes");
  w.array_length(nodes.value_or(0), compact);
  quorum_listener l;
  for (std::uint32_t n = 0; nodes && n < *nodes && r.ok(); ++n) {
    const std::int32_t node_id = r.i32("nodes[].node_id");
    w.i32(node_id);
    const auto ls = r.array_length(compact, listener_min, "nodes[].listeners");
    if (!ls) break;
    w.array_length(*ls, compact);
    for (std::uint32_t i = 0; i < *ls; ++i) {
      const std::size_t at = r.offset();
      read_listener(r, l);
      const auto adv = map(endpoint{node_id, l.host, l.port, endpoint_kind::controller});
      if (!adv) {
        r.fail_at(errc::unmapped_node, at, "nodes[].listeners[]");
        break;
      }
      // Port is a uint16 on this wire.
      if (adv->port < 0 || adv->port > 65535) {
        r.fail_at(errc::invalid_value, at, "nodes[].listeners[].port (advertised)");
        break;
      }
      l.host = adv->host;
      l.port = static_cast<std::uint16_t>(adv->port);
      write_listener(w, l);
      ++stats.addresses;
    }
    const std::size_t tags_at = r.offset();
    if (r.ok() && skip_tagged_fields(r)) w.raw(r.since(tags_at));
  }
  if (!r.ok() || stats.addresses == 0) {
    out.resize(mark);
    if (!r.ok()) return r.err();
    return rewrite_stats{};
  }
  out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(r.offset()), body.end());
  stats.changed = true;
  return stats;
}

}  // namespace kpp::protocol
