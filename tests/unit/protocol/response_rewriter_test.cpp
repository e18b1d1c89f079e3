// rewrite_response: the response header (v0/v1 by api_table; ApiVersions always v0) is
// copied verbatim and the body goes to the codec the action names.
#include "kpp/protocol/response_rewriter.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::proxy_map;

// Header v1: CorrelationId + tags (one unknown tag, which must survive); v0: CorrelationId.
byte_builder header_v1() {
  return byte_builder{}.i32(0x01020304).uvarint(1).tag(9, {0x5a});
}
byte_builder header_v0() {
  return byte_builder{}.i32(0x01020304);
}

byte_builder produce_v11_body(const char* host, std::int32_t port) {
  return byte_builder{}
      .carray(1)
      .cstr("t")
      .carray(1)  // Responses, Name, Partitions
      .i32(0)
      .i16(6)
      .i64(-1)
      .i64(-1)
      .i64(-1)
      .carray(0)
      .null_cstr()
      .no_tags()
      .no_tags()  // topic tags
      .i32(0)     // ThrottleTimeMs
      .uvarint(1)
      .tag(0, byte_builder{}.carray(1).i32(4).cstr(host).i32(port).null_cstr().no_tags().bytes());
}

byte_builder metadata_v12_body(const char* host, std::int32_t port) {
  return byte_builder{}
      .i32(0)  // ThrottleTimeMs
      .carray(1)
      .i32(1)
      .cstr(host)
      .i32(port)
      .null_cstr()
      .no_tags()        // Brokers
      .cstr("cluster")  // ClusterId
      .i32(1)           // ControllerId
      .carray(0)        // Topics
      .no_tags();
}

byte_builder quorum_v2_body(const char* host, std::uint16_t port) {
  return byte_builder{}
      .i16(0)
      .null_cstr()  // ErrorCode, ErrorMessage
      .carray(0)    // Topics
      .carray(1)
      .i32(3)
      .carray(1)
      .cstr("CONTROLLER")
      .cstr(host)
      .u16(port)
      .no_tags()
      .no_tags()
      .no_tags();
}

struct frame_case {
  const char* name;
  response_action action;
  std::int16_t key;
  std::int16_t version;
  byte_builder in;
  std::optional<byte_builder> want;  // nullopt: unchanged
};

TEST(ResponseRewriter, DispatchesByAction) {
  const std::vector<frame_case> cases = {
      {"Produce v11", response_action::produce, 0, 11,
       byte_builder{}.append(header_v1()).append(produce_v11_body("k4.internal", 9092)),
       byte_builder{}.append(header_v1()).append(produce_v11_body("b4.proxy.test", 9004))},
      {"Metadata v12", response_action::metadata, 3, 12,
       byte_builder{}.append(header_v1()).append(metadata_v12_body("k1.internal", 9092)),
       byte_builder{}.append(header_v1()).append(metadata_v12_body("b1.proxy.test", 9001))},
      {"DescribeQuorum v2", response_action::describe_quorum, 55, 2,
       byte_builder{}.append(header_v1()).append(quorum_v2_body("c3.internal", 9093)),
       byte_builder{}.append(header_v1()).append(quorum_v2_body("b3.proxy.test", 9003))},
      // ApiVersions v3 is flexible, yet its header is v0: no tag section after the id.
      {"ApiVersions v3", response_action::api_versions, 18, 3,
       byte_builder{}
           .append(header_v0())
           .i16(0)
           .carray(2)
           .i16(0)
           .i16(0)
           .i16(20)
           .no_tags()
           .i16(1000)
           .i16(0)
           .i16(0)
           .no_tags()
           .i32(0)
           .no_tags(),
       byte_builder{}
           .append(header_v0())
           .i16(0)
           .carray(1)
           .i16(0)
           .i16(0)
           .i16(13)
           .no_tags()
           .i32(0)
           .no_tags()},
      {"Fetch v16 without NodeEndpoints", response_action::fetch, 1, 16,
       byte_builder{}.append(header_v1()).i32(0).i16(0).i32(0).carray(0).no_tags(), std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out{std::byte{0x42}};
    auto stats = rewrite_response(c.action, c.key, c.version, c.in.view(), proxy_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_EQ(stats->changed, c.want.has_value());
    byte_buffer want{std::byte{0x42}};  // rewrite_response appends
    if (c.want) want.insert(want.end(), c.want->bytes().begin(), c.want->bytes().end());
    EXPECT_EQ(out, want);
  }
}

TEST(ResponseRewriter, ErrorsAreFrameOffsetsAndLeaveOutUntouched) {
  struct bad_case {
    const char* name;
    response_action action;
    std::int16_t key, version;
    byte_builder in;
    errc code;
    std::size_t min_offset;
  };
  const auto body = produce_v11_body("k4.internal", 9092);
  const std::vector<bad_case> cases = {
      {"stream is never rewritten", response_action::stream, 19, 7,
       byte_builder{}.append(header_v1()).no_tags(), errc::invalid_value, 0},
      {"header cut short", response_action::produce, 0, 11, byte_builder{}.raw({0x00, 0x01}),
       errc::truncated, 0},
      {"body cut short", response_action::produce, 0, 11,
       byte_builder{}.append(header_v1()).append(body).raw({0x00}), errc::trailing_bytes,
       header_v1().size()},
      {"unmapped node", response_action::produce, 0, 11,
       byte_builder{}.append(header_v1()).append(produce_v11_body("k", 1)).raw({}),
       errc::unmapped_node, header_v1().size()},
      {"unknown version", response_action::fetch, 1, 40, byte_builder{}.append(header_v1()),
       errc::unknown_version, 0},
  };
  const address_mapper refuse_all = [](const endpoint&) {
    return std::optional<advertised_endpoint>{};
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out{std::byte{0x42}};
    const bool refuse = c.code == errc::unmapped_node;
    auto stats = rewrite_response(c.action, c.key, c.version, c.in.view(),
                                  refuse ? refuse_all : address_mapper{proxy_map}, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
    EXPECT_GE(stats.error().offset, c.min_offset);
    EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
  }
}

}  // namespace
}  // namespace kpp::protocol
