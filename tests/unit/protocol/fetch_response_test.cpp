// Fetch response, flexible versions v12-v18 (FetchResponse.json; v18 = v17's layout per
// shared/kafka-protocol/SOURCE.md). Records are filled with bytes that are not valid record
// batches: the walk must skip them by length, never parse them.
#include "kpp/protocol/fetch_response.h"

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
      .carray(1)
      .i32(2)
      .cstr("broker-2.internal")
      .i32(9093)
      .null_cstr()  // NodeId, Host, Port, Rack
      .uvarint(1)
      .tag(4, {0x0d});  // unknown entry tag, kept
}
byte_builder proxied_endpoints() {
  return byte_builder{}
      .carray(1)
      .i32(2)
      .cstr("b2.proxy.test")
      .i32(9002)
      .null_cstr()
      .uvarint(1)
      .tag(4, {0x0d});
}

constexpr std::size_t garbage_records = 300;  // 0xFF...: not a record batch
constexpr std::size_t zero_records = 64;

byte_builder fetch_prefix(std::int16_t v) {
  byte_builder b;
  b.i32(0)         // ThrottleTimeMs
      .i16(0)      // ErrorCode
      .i32(12345)  // SessionId
      .carray(1);  // Responses
  if (v >= 13)
    b.uuid(0x33);
  else
    b.cstr("events");  // [0].TopicId (v13+) / Topic
  b.carray(3);         // [0].Partitions
  // Partition 0: NOT_LEADER_OR_FOLLOWER, CurrentLeader tagged (no address), null records.
  b.i32(0)
      .i16(6)
      .i64(-1)
      .i64(-1)
      .i64(-1)        //   Index, ErrorCode, HW, LSO, LogStart
      .null_carray()  //   AbortedTransactions null
      .i32(-1)        //   PreferredReadReplica
      .uvarint(0)     //   Records null
      .uvarint(1)
      .tag(1, byte_builder{}.i32(2).i32(8).no_tags().bytes());  // CurrentLeader
  // Partition 1: aborted transactions, garbage records, DivergingEpoch + SnapshotId tags.
  b.i32(1)
      .i16(0)
      .i64(500)
      .i64(490)
      .i64(0)
      .carray(1)
      .i64(77)
      .i64(480)
      .no_tags()  //   AbortedTransactions [{77, 480}]
      .i32(-1)    //   PreferredReadReplica
      .uvarint(garbage_records + 1)
      .repeat(garbage_records, 0xff)  // Records
      .uvarint(2)
      .tag(0, byte_builder{}.i32(3).i64(450).no_tags().bytes())   //   DivergingEpoch
      .tag(2, byte_builder{}.i64(100).i32(2).no_tags().bytes());  //   SnapshotId
  // Partition 2: empty aborted list, a preferred read replica, zero-filled records.
  b.i32(2)
      .i16(0)
      .i64(10)
      .i64(10)
      .i64(0)
      .carray(0)
      .i32(3)
      .uvarint(zero_records + 1)
      .repeat(zero_records, 0x00)
      .no_tags();
  b.uvarint(1).tag(6, {0x07});  // [0] tags: unknown tag 6
  return b;
}

byte_builder with_endpoints(const byte_builder& endpoints) {
  return byte_builder{}.uvarint(2).tag(0, endpoints.bytes()).tag(5, {0xaa});
}

constexpr std::int16_t first_version = 12;
constexpr std::int16_t last_version = 18;

TEST(FetchResponse, RewritesNodeEndpointsAtEveryFlexibleVersion) {
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in =
        byte_builder{}.append(fetch_prefix(v)).append(with_endpoints(upstream_endpoints()));
    const auto want =
        byte_builder{}.append(fetch_prefix(v)).append(with_endpoints(proxied_endpoints()));

    write_seed("fuzz_fetch_response", "endpoints_v" + std::to_string(v),
               static_cast<std::uint8_t>(v), in.view());
    auto layout = scan_fetch_response(in.view(), v);
    ASSERT_TRUE(layout) << layout.error().describe();
    EXPECT_EQ(layout->session_id, 12345);
    EXPECT_EQ(layout->topics, 1u);
    EXPECT_EQ(layout->partitions, 3u);
    EXPECT_EQ(layout->record_bytes, garbage_records + zero_records);
    EXPECT_EQ(layout->tags.section_offset, fetch_prefix(v).size());
    EXPECT_EQ(layout->tags.tag_count, 2u);
    ASSERT_TRUE(layout->tags.node_endpoints.has_value());
    EXPECT_TRUE(std::ranges::equal(*layout->tags.node_endpoints, upstream_endpoints().view()));

    byte_buffer out;
    auto stats = rewrite_fetch_response(in.view(), v, proxy_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_TRUE(stats->changed);
    EXPECT_EQ(stats->addresses, 1u);
    EXPECT_EQ(out, want.bytes());

    auto after = scan_fetch_response(out, v);
    ASSERT_TRUE(after) << after.error().describe();
    EXPECT_EQ(after->record_bytes, layout->record_bytes);
    EXPECT_TRUE(std::ranges::equal(std::span(out).first(after->tags.section_offset),
                                   in.view().first(layout->tags.section_offset)));
  }
}

TEST(FetchResponse, WithoutNodeEndpointsLeavesOutUntouched) {
  const std::vector<std::pair<const char*, byte_builder>> sections = {
      {"no tags", byte_builder{}.no_tags()},
      {"unknown top-level tag only", byte_builder{}.uvarint(1).tag(5, {0xaa})},
      {"empty NodeEndpoints", byte_builder{}.uvarint(1).tag(0, byte_builder{}.carray(0).bytes())},
  };
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    for (const auto& [name, section] : sections) {
      SCOPED_TRACE("v" + std::to_string(v) + " " + name);
      const auto in = byte_builder{}.append(fetch_prefix(v)).append(section);
      write_seed("fuzz_fetch_response", "v" + std::to_string(v) + "_" + std::to_string(in.size()),
                 static_cast<std::uint8_t>(v), in.view());
      byte_buffer out{std::byte{0x42}};
      auto stats = rewrite_fetch_response(in.view(), v, proxy_map, out);
      ASSERT_TRUE(stats) << stats.error().describe();
      EXPECT_FALSE(stats->changed);
      EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
    }
  }
}

TEST(FetchResponse, TruncationAtEveryOffsetFails) {
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in =
        byte_builder{}.append(fetch_prefix(v)).append(with_endpoints(upstream_endpoints()));
    for (std::size_t n = 0; n < in.size(); ++n) {
      SCOPED_TRACE(n);
      byte_buffer out;
      auto stats = rewrite_fetch_response(in.view().first(n), v, proxy_map, out);
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

TEST(FetchResponse, MalformedInputIsAnError) {
  std::vector<bad_case> cases;
  for (std::int16_t v = first_version; v <= last_version; ++v) {
    const std::string at = " v" + std::to_string(v);
    const auto head = byte_builder{}.i32(0).i16(0).i32(0);
    cases.push_back({"trailing byte" + at, v,
                     byte_builder{}.append(fetch_prefix(v)).no_tags().raw({0x00}),
                     errc::trailing_bytes});
    cases.push_back({"topic count beyond the bytes" + at, v,
                     byte_builder{}.append(head).carray(4000000).repeat(40, 0), errc::bad_length});
    cases.push_back({"records length beyond the frame" + at, v,
                     byte_builder{}
                         .append(head)
                         .carray(1)
                         .append(v >= 13 ? byte_builder{}.uuid(1) : byte_builder{}.cstr("t"))
                         .carray(1)
                         .i32(0)
                         .i16(0)
                         .i64(0)
                         .i64(0)
                         .i64(0)
                         .null_carray()
                         .i32(-1)
                         .uvarint(1000000)
                         .repeat(60, 0),
                     errc::bad_length});
    cases.push_back({"unmapped node" + at, v,
                     byte_builder{}
                         .append(fetch_prefix(v))
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
    cases.push_back(
        {"duplicate top-level tag" + at, v,
         byte_builder{}.append(fetch_prefix(v)).uvarint(2).tag(5, {0x01}).tag(5, {0x01}),
         errc::bad_tag_order});
  }
  cases.push_back({"non-flexible v11", 11, byte_builder{}.append(fetch_prefix(12)).no_tags(),
                   errc::unknown_version});
  cases.push_back(
      {"future v19", 19, byte_builder{}.append(fetch_prefix(18)).no_tags(), errc::unknown_version});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out;
    auto stats = rewrite_fetch_response(c.body.view(), c.version, proxy_map, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
    EXPECT_TRUE(out.empty());
  }
}

}  // namespace
}  // namespace kpp::protocol
