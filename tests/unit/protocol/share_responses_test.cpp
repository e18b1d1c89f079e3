// ShareFetch and ShareAcknowledge responses, v0 (ShareFetchResponse.json,
// ShareAcknowledgeResponse.json; KIP-932): NodeEndpoints is a regular top-level field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/share_acknowledge_response.h"
#include "kpp/protocol/share_fetch_response.h"
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
      .tag(7, {0xca, 0xfe});
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

constexpr std::size_t records_len = 200;

byte_builder share_fetch_prefix() {
  byte_builder b;
  b.i32(0)
      .i16(0)
      .null_cstr()  // ThrottleTimeMs, ErrorCode, ErrorMessage null
      .carray(1)
      .uuid(0x44)  // Responses, [0].TopicId
      .carray(2);  // [0].Partitions
  b.i32(0)
      .i16(6)
      .cstr("not leader")  //   PartitionIndex, ErrorCode, ErrorMessage
      .i16(0)
      .null_cstr()  //   AcknowledgeErrorCode, AcknowledgeErrorMessage
      .i32(2)
      .i32(9)
      .no_tags()   //   CurrentLeader {LeaderId, LeaderEpoch, tags}
      .uvarint(0)  //   Records null
      .carray(0)   //   AcquiredRecords []
      .no_tags();
  b.i32(1)
      .i16(0)
      .null_cstr()
      .i16(0)
      .null_cstr()
      .i32(1)
      .i32(4)
      .uvarint(1)
      .tag(5, {0x01})  // CurrentLeader with a tag
      .uvarint(records_len + 1)
      .repeat(records_len, 0xee)  // Records: not parsed
      .carray(1)
      .i64(10)
      .i64(19)
      .i16(1)
      .no_tags()  // AcquiredRecords
      .uvarint(1)
      .tag(8, {0x02, 0x03});  // partition tags
  b.no_tags();                // [0] tags
  return b;
}

byte_builder share_ack_prefix() {
  byte_builder b;
  b.i32(5)
      .i16(0)
      .null_cstr()  // ThrottleTimeMs, ErrorCode, ErrorMessage
      .carray(1)
      .uuid(0x55)  // Responses, [0].TopicId
      .carray(2)   // [0].Partitions
      .i32(0)
      .i16(6)
      .null_cstr()  //   PartitionIndex, ErrorCode, ErrorMessage
      .i32(2)
      .i32(3)
      .no_tags()  //   CurrentLeader
      .no_tags()
      .i32(1)
      .i16(0)
      .cstr("ok")
      .i32(1)
      .i32(4)
      .no_tags()
      .uvarint(1)
      .tag(2, {0x09})  //   unknown partition tag
      .no_tags();      // [0] tags
  return b;
}

const byte_builder top_tags = byte_builder{}.uvarint(1).tag(4, {0x09});

using rewrite_fn = result<rewrite_stats> (*)(bytes_view, std::int16_t, const address_mapper&,
                                             byte_buffer&);
struct api_case {
  const char* name;
  byte_builder prefix;
  rewrite_fn rewrite;
};

std::vector<api_case> apis() {
  return {{"ShareFetch", share_fetch_prefix(), &rewrite_share_fetch_response},
          {"ShareAcknowledge", share_ack_prefix(), &rewrite_share_acknowledge_response}};
}

TEST(ShareResponses, RewriteNodeEndpoints) {
  for (const auto& api : apis()) {
    SCOPED_TRACE(api.name);
    const auto in = byte_builder{}.append(api.prefix).append(upstream_endpoints()).append(top_tags);
    const auto want =
        byte_builder{}.append(api.prefix).append(proxied_endpoints()).append(top_tags);
    byte_buffer out;
    auto stats = api.rewrite(in.view(), 0, proxy_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_TRUE(stats->changed);
    EXPECT_EQ(stats->addresses, 2u);
    EXPECT_EQ(out, want.bytes());
  }
}

TEST(ShareResponses, ScanFindsTheFields) {
  const auto f =
      byte_builder{}.append(share_fetch_prefix()).append(upstream_endpoints()).append(top_tags);
  write_seed("fuzz_share_fetch_response", "endpoints_v0", 0, f.view());
  auto fl = scan_share_fetch_response(f.view(), 0);
  ASSERT_TRUE(fl) << fl.error().describe();
  EXPECT_EQ(fl->topics, 1u);
  EXPECT_EQ(fl->partitions, 2u);
  EXPECT_EQ(fl->record_bytes, records_len);
  EXPECT_EQ(fl->node_endpoint_count, 2u);
  EXPECT_TRUE(std::ranges::equal(fl->node_endpoints, upstream_endpoints().view()));
  EXPECT_EQ(fl->node_endpoints.data() - f.view().data(),
            static_cast<std::ptrdiff_t>(share_fetch_prefix().size()));

  const auto a =
      byte_builder{}.append(share_ack_prefix()).append(upstream_endpoints()).append(top_tags);
  auto al = scan_share_acknowledge_response(a.view(), 0);
  ASSERT_TRUE(al) << al.error().describe();
  EXPECT_EQ(al->topics, 1u);
  EXPECT_EQ(al->partitions, 2u);
  EXPECT_EQ(al->node_endpoint_count, 2u);
  EXPECT_TRUE(std::ranges::equal(al->node_endpoints, upstream_endpoints().view()));
}

TEST(ShareResponses, EmptyNodeEndpointsLeavesOutUntouched) {
  for (const auto& api : apis()) {
    SCOPED_TRACE(api.name);
    const auto in = byte_builder{}.append(api.prefix).carray(0).no_tags();
    byte_buffer out{std::byte{0x42}};
    auto stats = api.rewrite(in.view(), 0, proxy_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_FALSE(stats->changed);
    EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
  }
}

TEST(ShareResponses, TruncationAtEveryOffsetFails) {
  for (const auto& api : apis()) {
    SCOPED_TRACE(api.name);
    const auto in = byte_builder{}.append(api.prefix).append(upstream_endpoints()).append(top_tags);
    for (std::size_t n = 0; n < in.size(); ++n) {
      SCOPED_TRACE(n);
      byte_buffer out;
      auto stats = api.rewrite(in.view().first(n), 0, proxy_map, out);
      ASSERT_FALSE(stats);
      EXPECT_LE(stats.error().offset, n);
      EXPECT_TRUE(out.empty());
    }
  }
}

TEST(ShareResponses, MalformedInputIsAnError) {
  for (const auto& api : apis()) {
    struct bad_case {
      const char* name;
      std::int16_t version;
      byte_builder body;
      errc code;
    };
    const std::vector<bad_case> cases = {
        {"trailing byte", 0,
         byte_builder{}.append(api.prefix).append(upstream_endpoints()).no_tags().raw({0x00}),
         errc::trailing_bytes},
        {"NodeEndpoints count beyond the bytes", 0,
         byte_builder{}.append(api.prefix).carray(100000).repeat(30, 0), errc::bad_length},
        {"null NodeEndpoints", 0, byte_builder{}.append(api.prefix).null_carray().no_tags(),
         errc::negative_length},
        {"topic count beyond the bytes", 0,
         byte_builder{}.i32(0).i16(0).null_cstr().carray(70000).repeat(50, 0), errc::bad_length},
        {"unmapped node", 0,
         byte_builder{}
             .append(api.prefix)
             .carray(1)
             .i32(99)
             .cstr("secret")
             .i32(1)
             .null_cstr()
             .no_tags()
             .no_tags(),
         errc::unmapped_node},
        {"unknown version 1", 1,
         byte_builder{}.append(api.prefix).append(upstream_endpoints()).no_tags(),
         errc::unknown_version},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(api.name) + " " + c.name);
      byte_buffer out;
      auto stats = api.rewrite(c.body.view(), c.version, proxy_map, out);
      ASSERT_FALSE(stats);
      EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
      EXPECT_TRUE(out.empty());
    }
  }
}

}  // namespace
}  // namespace kpp::protocol
