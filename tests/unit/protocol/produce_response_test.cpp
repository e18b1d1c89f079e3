// Produce response, flexible versions v9-v13 (ProduceResponse.json; v12 = v11's layout,
// v13 names topics by TopicId, per shared/kafka-protocol/SOURCE.md). Vectors are written
// field by field with the test-side byte_builder, never by the code under test.
#include "kpp/protocol/produce_response.h"

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
using test::proxy_map;
using test::write_seed;

byte_builder upstream_endpoints() {
  return byte_builder{}
      .carray(2)
      .i32(1)
      .cstr("broker-1.internal")
      .i32(9092)
      .cstr("rack-a")
      .no_tags()
      .i32(2)
      .cstr("broker-2.internal")
      .i32(9093)
      .null_cstr()
      .uvarint(1)
      .tag(7, {0xca, 0xfe});  // an unknown per-entry tag, kept
}
byte_builder proxied_endpoints() {
  return byte_builder{}
      .carray(2)
      .i32(1)
      .cstr("b1.proxy.test")
      .i32(9001)
      .cstr("rack-a")
      .no_tags()
      .i32(2)
      .cstr("b2.proxy.test")
      .i32(9002)
      .null_cstr()
      .uvarint(1)
      .tag(7, {0xca, 0xfe});
}

// LeaderIdAndEpoch (CurrentLeader, partition tag 0): LeaderId, LeaderEpoch, tags.
std::vector<std::byte> current_leader(std::int32_t id, std::int32_t epoch) {
  return byte_builder{}.i32(id).i32(epoch).no_tags().bytes();
}

// Everything before the top-level tagged section: two topics, two partitions, with
// record errors, per-partition CurrentLeader and unknown tags at partition and topic level.
byte_builder produce_prefix(std::int16_t v) {
  byte_builder b;
  b.carray(2);  // Responses
  if (v >= 13)
    b.uuid(0x11);
  else
    b.cstr("orders");  // [0].TopicId (v13) / Name
  b.carray(2);         // [0].PartitionResponses
  b.i32(0)             //   Index
      .i16(6)          //   ErrorCode NOT_LEADER_OR_FOLLOWER
      .i64(-1)         //   BaseOffset
      .i64(-1)         //   LogAppendTimeMs
      .i64(-1)         //   LogStartOffset
      .carray(0)       //   RecordErrors []
      .null_cstr()     //   ErrorMessage null
      .uvarint(1)
      .tag(0, current_leader(2, 7));  //   tags: CurrentLeader (no address)
  b.i32(1)                            //   Index
      .i16(0)                         //   ErrorCode
      .i64(100)                       //   BaseOffset
      .i64(1700000000000)             //   LogAppendTimeMs
      .i64(0)                         //   LogStartOffset
      .carray(1)                      //   RecordErrors
      .i32(3)
      .cstr("bad record")
      .no_tags()              //     BatchIndex, message, tags
      .cstr("batch dropped")  //   ErrorMessage
      .uvarint(2)
      .tag(0, current_leader(1, 4))  //   tags: CurrentLeader,
      .tag(9, {0xbe, 0xef});         //         unknown tag 9
  b.no_tags();                       // [0] tags
  if (v >= 13)
    b.uuid(0x22);
  else
    b.cstr("audit");            // [1].TopicId / Name
  b.carray(0);                  // [1].PartitionResponses []
  b.uvarint(1).tag(2, {0x05});  // [1] tags: unknown tag 2
  b.i32(25);                    // ThrottleTimeMs
  return b;
}

// Top-level tagged sections.
byte_builder with_endpoints(const byte_builder& endpoints) {
  return byte_builder{}.uvarint(2).tag(0, endpoints.bytes()).tag(3, {0x01, 0x02});
}

constexpr std::int16_t first_version = 9;
constexpr std::int16_t last_version = 13;

TEST(ProduceResponse, RewritesNodeEndpointsAtEveryFlexibleVersion) {
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in =
        byte_builder{}.append(produce_prefix(v)).append(with_endpoints(upstream_endpoints()));
    const auto want =
        byte_builder{}.append(produce_prefix(v)).append(with_endpoints(proxied_endpoints()));

    write_seed("fuzz_produce_response", "endpoints_v" + std::to_string(v),
               static_cast<std::uint8_t>(v), in.view());
    auto layout = scan_produce_response(in.view(), v);
    ASSERT_TRUE(layout) << layout.error().describe();
    EXPECT_EQ(layout->topics, 2u);
    EXPECT_EQ(layout->partitions, 2u);
    EXPECT_EQ(layout->throttle_time_ms, 25);
    EXPECT_EQ(layout->tags.section_offset, produce_prefix(v).size());
    EXPECT_EQ(layout->tags.tag_count, 2u);
    ASSERT_TRUE(layout->tags.node_endpoints.has_value());
    EXPECT_TRUE(std::ranges::equal(*layout->tags.node_endpoints, upstream_endpoints().view()));

    byte_buffer out;
    auto stats = rewrite_produce_response(in.view(), v, proxy_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_TRUE(stats->changed);
    EXPECT_EQ(stats->addresses, 2u);
    EXPECT_EQ(out, want.bytes());

    // Only host/port changed: the output walks the same, its prefix is the input's, and
    // the endpoints differ in host/port alone.
    auto after = scan_produce_response(out, v);
    ASSERT_TRUE(after) << after.error().describe();
    EXPECT_TRUE(std::ranges::equal(std::span(out).first(after->tags.section_offset),
                                   in.view().first(layout->tags.section_offset)));
    auto a = decode_node_endpoints(*after->tags.node_endpoints);
    auto b = decode_node_endpoints(*layout->tags.node_endpoints);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->size(), b->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].node_id, (*b)[i].node_id);
      EXPECT_EQ((*a)[i].rack, (*b)[i].rack);
      EXPECT_TRUE(std::ranges::equal((*a)[i].tagged_fields, (*b)[i].tagged_fields));
      EXPECT_NE((*a)[i].host, (*b)[i].host);
    }
  }
}

TEST(ProduceResponse, WithoutNodeEndpointsLeavesOutUntouched) {
  const std::vector<std::pair<const char*, byte_builder>> sections = {
      {"no tags", byte_builder{}.no_tags()},
      {"unknown top-level tag only", byte_builder{}.uvarint(1).tag(3, {0x01, 0x02})},
      {"empty NodeEndpoints", byte_builder{}.uvarint(1).tag(0, byte_builder{}.carray(0).bytes())},
  };
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    for (const auto& [name, section] : sections) {
      SCOPED_TRACE("v" + std::to_string(v) + " " + name);
      const auto in = byte_builder{}.append(produce_prefix(v)).append(section);
      write_seed("fuzz_produce_response", "v" + std::to_string(v) + "_" + std::to_string(in.size()),
                 static_cast<std::uint8_t>(v), in.view());
      auto layout = scan_produce_response(in.view(), v);
      ASSERT_TRUE(layout) << layout.error().describe();
      byte_buffer out{std::byte{0x42}};
      auto stats = rewrite_produce_response(in.view(), v, proxy_map, out);
      ASSERT_TRUE(stats) << stats.error().describe();
      EXPECT_FALSE(stats->changed);
      EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
    }
  }
}

TEST(ProduceResponse, TruncationAtEveryOffsetFails) {
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in =
        byte_builder{}.append(produce_prefix(v)).append(with_endpoints(upstream_endpoints()));
    for (std::size_t n = 0; n < in.size(); ++n) {
      SCOPED_TRACE(n);
      byte_buffer out;
      auto stats = rewrite_produce_response(in.view().first(n), v, proxy_map, out);
      ASSERT_FALSE(stats);
      EXPECT_LE(stats.error().offset, n);
      EXPECT_TRUE(out.empty());
    }
  }
}

struct bad_case {
  std::string name;
  std::int16_t version;
  byte_builder body;
  errc code;
};

TEST(ProduceResponse, MalformedInputIsAnError) {
  std::vector<bad_case> cases;
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    const std::string at = " v" + std::to_string(v);
    cases.push_back({"trailing byte" + at, v,
                     byte_builder{}.append(produce_prefix(v)).no_tags().raw({0x00}),
                     errc::trailing_bytes});
    cases.push_back({"topic count beyond the bytes" + at, v,
                     byte_builder{}.carray(5000000).repeat(40, 0), errc::bad_length});
    cases.push_back({"null topics array" + at, v, byte_builder{}.null_carray().i32(0).no_tags(),
                     errc::negative_length});
    cases.push_back({"top-level tags out of order" + at, v,
                     byte_builder{}
                         .append(produce_prefix(v))
                         .uvarint(2)
                         .tag(3, {0x01})
                         .tag(0, upstream_endpoints().bytes()),
                     errc::bad_tag_order});
    cases.push_back({"unmapped node" + at, v,
                     byte_builder{}
                         .append(produce_prefix(v))
                         .uvarint(1)
                         .tag(0, byte_builder{}
                                     .carray(1)
                                     .i32(99)
                                     .cstr("secret")
                                     .i32(1)
                                     .null_cstr()
                                     .no_tags()
                                     .bytes()),
                     errc::unmapped_node});
    cases.push_back({"NodeEndpoints shorter than its tag" + at, v,
                     byte_builder{}
                         .append(produce_prefix(v))
                         .uvarint(1)
                         .tag(0, byte_builder{}.append(upstream_endpoints()).raw({0x00}).bytes()),
                     errc::trailing_bytes});
  }
  cases.push_back({"non-flexible v8", 8, byte_builder{}.append(produce_prefix(9)).no_tags(),
                   errc::unknown_version});
  cases.push_back({"future v14", 14, byte_builder{}.append(produce_prefix(13)).no_tags(),
                   errc::unknown_version});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out;
    auto stats = rewrite_produce_response(c.body.view(), c.version, proxy_map, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
    EXPECT_TRUE(out.empty());
  }
}

}  // namespace
}  // namespace kpp::protocol
