// DescribeQuorum response v0-v2 (DescribeQuorumResponse.json, flexible from v0). Only v2
// (KIP-853) carries controller addresses, in Nodes[].Listeners[] with a uint16 Port.
#include "kpp/protocol/describe_quorum_response.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::write_seed;

// Controllers get c{id}.proxy.test:19000+id; brokers (never expected here) b{id}.
std::vector<endpoint_kind> seen_kinds;
std::optional<advertised_endpoint> proxy_map(const endpoint& e) {
  seen_kinds.push_back(e.kind);
  if (e.node_id == 99) return std::nullopt;
  const char* prefix = e.kind == endpoint_kind::controller ? "c" : "b";
  return advertised_endpoint{prefix + std::to_string(e.node_id) + ".proxy.test", 19000 + e.node_id};
}

// ReplicaState at version v.
void replica(byte_builder& b, std::int16_t v, std::int32_t id) {
  b.i32(id);                                          // ReplicaId
  if (v >= 2) b.uuid(static_cast<std::uint8_t>(id));  // ReplicaDirectoryId
  b.i64(1000);                                        // LogEndOffset
  if (v >= 1) b.i64(-1).i64(-1);                      // LastFetchTimestamp, LastCaughtUpTimestamp
  b.no_tags();
}

byte_builder quorum_prefix(std::int16_t v) {
  byte_builder b;
  b.i16(0);                   // ErrorCode
  if (v >= 2) b.null_cstr();  // ErrorMessage
  b.carray(1)
      .cstr("__cluster_metadata")  // Topics, [0].TopicName
      .carray(1)                   // [0].Partitions
      .i32(0)
      .i16(0);                //   PartitionIndex, ErrorCode
  if (v >= 2) b.null_cstr();  //   ErrorMessage
  b.i32(1).i32(5).i64(1000);  //   LeaderId, LeaderEpoch, HighWatermark
  b.carray(2);                //   CurrentVoters
  replica(b, v, 1);
  replica(b, v, 2);
  b.carray(1);  //   Observers
  replica(b, v, 7);
  b.no_tags()      //   partition tags
      .no_tags();  // [0] tags
  return b;
}

byte_builder nodes(const char* host1, std::uint16_t port1a, std::uint16_t port1b, const char* host2,
                   std::uint16_t port2) {
  return byte_builder{}
      .carray(2)
      .i32(1)     // NodeId
      .carray(2)  // Listeners
      .cstr("CONTROLLER")
      .cstr(host1)
      .u16(port1a)
      .no_tags()  //   Name, Host, Port
      .cstr("CONTROLLER_SSL")
      .cstr(host1)
      .u16(port1b)
      .uvarint(1)
      .tag(3, {0xab})
      .no_tags()  // node tags
      .i32(2)
      .carray(1)
      .cstr("CONTROLLER")
      .cstr(host2)
      .u16(port2)
      .no_tags()
      .uvarint(1)
      .tag(1, {0x01, 0x02});  // unknown node tag
}

const byte_builder upstream_nodes = nodes("ctrl-1.internal", 9093, 9094, "ctrl-2.internal", 9093);
const byte_builder proxied_nodes = nodes("c1.proxy.test", 19001, 19001, "c2.proxy.test", 19002);
const byte_builder top_tags = byte_builder{}.uvarint(1).tag(2, {0x33});

TEST(DescribeQuorumResponse, ScansEveryVersion) {
  for (std::int16_t v = 0; v <= 2; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    byte_builder in = quorum_prefix(v);
    if (v >= 2) in.append(upstream_nodes);
    in.append(top_tags);
    write_seed("fuzz_describe_quorum_response", "v" + std::to_string(v),
               static_cast<std::uint8_t>(v), in.view());
    auto layout = scan_describe_quorum_response(in.view(), v);
    ASSERT_TRUE(layout) << layout.error().describe();
    EXPECT_EQ(layout->topics, 1u);
    EXPECT_EQ(layout->partitions, 1u);
    EXPECT_EQ(layout->replicas, 3u);
    EXPECT_EQ(layout->node_count, v >= 2 ? 2u : 0u);
    if (v >= 2) {
      EXPECT_TRUE(std::ranges::equal(layout->nodes, upstream_nodes.view()));
    }
  }
}

TEST(DescribeQuorumResponse, DecodesAndReencodesNodes) {
  auto got = decode_quorum_nodes(upstream_nodes.view());
  ASSERT_TRUE(got) << got.error().describe();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].node_id, 1);
  ASSERT_EQ((*got)[0].listeners.size(), 2u);
  EXPECT_EQ((*got)[0].listeners[1].name, "CONTROLLER_SSL");
  EXPECT_EQ((*got)[0].listeners[1].host, "ctrl-1.internal");
  EXPECT_EQ((*got)[0].listeners[1].port, 9094);
  EXPECT_EQ((*got)[0].listeners[1].tagged_fields.size(), 4u);  // count, tag, size, data
  EXPECT_EQ((*got)[1].node_id, 2);
  EXPECT_EQ((*got)[1].tagged_fields.size(), 5u);
  byte_buffer out;
  wire_writer w{out};
  encode_quorum_nodes(w, *got);
  EXPECT_EQ(out, upstream_nodes.bytes());
}

TEST(DescribeQuorumResponse, RewritesControllerListenersAtV2) {
  const auto in = byte_builder{}.append(quorum_prefix(2)).append(upstream_nodes).append(top_tags);
  const auto want = byte_builder{}.append(quorum_prefix(2)).append(proxied_nodes).append(top_tags);
  seen_kinds.clear();
  byte_buffer out;
  auto stats = rewrite_describe_quorum_response(in.view(), 2, proxy_map, out);
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_TRUE(stats->changed);
  EXPECT_EQ(stats->addresses, 3u);
  EXPECT_EQ(out, want.bytes());
  ASSERT_EQ(seen_kinds.size(), 3u);
  for (auto k : seen_kinds) EXPECT_EQ(k, endpoint_kind::controller);

  // Only host/port changed: names, ids and tags are the input's.
  auto before = decode_quorum_nodes(upstream_nodes.view());
  auto layout = scan_describe_quorum_response(out, 2);
  ASSERT_TRUE(layout && before);
  auto after = decode_quorum_nodes(layout->nodes);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t n = 0; n < after->size(); ++n) {
    EXPECT_EQ((*after)[n].node_id, (*before)[n].node_id);
    EXPECT_TRUE(std::ranges::equal((*after)[n].tagged_fields, (*before)[n].tagged_fields));
    for (std::size_t l = 0; l < (*after)[n].listeners.size(); ++l) {
      EXPECT_EQ((*after)[n].listeners[l].name, (*before)[n].listeners[l].name);
      EXPECT_TRUE(std::ranges::equal((*after)[n].listeners[l].tagged_fields,
                                     (*before)[n].listeners[l].tagged_fields));
    }
  }
}

TEST(DescribeQuorumResponse, NoListenersLeavesOutUntouched) {
  const auto in =
      byte_builder{}.append(quorum_prefix(2)).carray(1).i32(1).carray(0).no_tags().no_tags();
  byte_buffer out{std::byte{0x42}};
  auto stats = rewrite_describe_quorum_response(in.view(), 2, proxy_map, out);
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_FALSE(stats->changed);
  EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
}

TEST(DescribeQuorumResponse, TruncationAtEveryOffsetFails) {
  for (std::int16_t v = 0; v <= 2; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    byte_builder in = quorum_prefix(v);
    if (v >= 2) in.append(upstream_nodes);
    in.append(top_tags);
    for (std::size_t n = 0; n < in.size(); ++n) {
      SCOPED_TRACE(n);
      auto layout = scan_describe_quorum_response(in.view().first(n), v);
      ASSERT_FALSE(layout);
      EXPECT_LE(layout.error().offset, n);
      if (v == 2) {
        byte_buffer out;
        EXPECT_FALSE(rewrite_describe_quorum_response(in.view().first(n), v, proxy_map, out));
        EXPECT_TRUE(out.empty());
      }
    }
  }
}

TEST(DescribeQuorumResponse, MalformedInputIsAnError) {
  const address_mapper too_big = [](const endpoint&) {
    return std::optional<advertised_endpoint>{advertised_endpoint{"x", 65536}};
  };
  const address_mapper mapper = proxy_map;
  struct bad_case {
    const char* name;
    std::int16_t version;
    byte_builder body;
    const address_mapper* map;
    errc code;
  };
  const std::vector<bad_case> cases = {
      {"trailing byte", 2,
       byte_builder{}.append(quorum_prefix(2)).append(upstream_nodes).no_tags().raw({0x00}),
       &mapper, errc::trailing_bytes},
      {"node count beyond the bytes", 2,
       byte_builder{}.append(quorum_prefix(2)).carray(1000000).repeat(10, 0), &mapper,
       errc::bad_length},
      {"null nodes", 2, byte_builder{}.append(quorum_prefix(2)).null_carray().no_tags(), &mapper,
       errc::negative_length},
      {"unmapped controller", 2,
       byte_builder{}
           .append(quorum_prefix(2))
           .carray(1)
           .i32(99)
           .carray(1)
           .cstr("C")
           .cstr("h")
           .u16(1)
           .no_tags()
           .no_tags()
           .no_tags(),
       &mapper, errc::unmapped_node},
      {"advertised port above uint16", 2,
       byte_builder{}.append(quorum_prefix(2)).append(upstream_nodes).no_tags(), &too_big,
       errc::invalid_value},
      {"rewrite of v1 (no listeners)", 1, byte_builder{}.append(quorum_prefix(1)).no_tags(),
       &mapper, errc::unknown_version},
      {"rewrite of v0", 0, byte_builder{}.append(quorum_prefix(0)).no_tags(), &mapper,
       errc::unknown_version},
      {"future v3", 3, byte_builder{}.append(quorum_prefix(2)).append(upstream_nodes).no_tags(),
       &mapper, errc::unknown_version},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out;
    auto stats = rewrite_describe_quorum_response(c.body.view(), c.version, *c.map, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
    EXPECT_TRUE(out.empty());
  }
}

}  // namespace
}  // namespace kpp::protocol
