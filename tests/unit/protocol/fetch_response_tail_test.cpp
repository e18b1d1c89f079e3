// The rewritten end of a streamed flexible Fetch response: exactly the original top-level
// section's size + the reserve, NodeEndpoints rewritten or dropped, one padding tag last.
// Expected sections are spelled out with byte_builder; the sizes in the comments are counted
// by hand from FetchResponse.json's field types.
#include "kpp/protocol/fetch_response_tail.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::proxy_map;

// One entry for node 2: array 1 + NodeId 4 + Host (1 + host) + Port 4 + Rack 1 + tags 1.
byte_builder endpoints(std::string_view host, std::int32_t port, std::int32_t node = 2) {
  return byte_builder{}.carray(1).i32(node).cstr(host).i32(port).null_cstr().no_tags();
}
byte_builder upstream() {
  return endpoints("broker-2.internal", 9093);
}  // 29 bytes
byte_builder proxied() {
  return endpoints("b2.proxy.test", 9002);
}  // 25 bytes

// The padding field as the tests expect it: tag 0x3FFF (2 bytes: ff 7f), size, zeros.
byte_builder& pad(byte_builder& b, std::uint32_t tag, std::uint32_t zeros) {
  return b.uvarint(tag).uvarint(zeros).repeat(zeros, 0x00);
}

struct tail_case {
  std::string name;
  byte_builder in;
  std::size_t reserve;
  byte_builder want;
  std::size_t addresses;
  bool dropped;
};

std::vector<tail_case> tail_cases() {
  std::vector<tail_case> c;
  {
    // 1 + (1 + 1 + 29) + 3 = 35 bytes in; out 35 + 16 = 51:
    // count 1 + tag 0 (1 + 1 + 25) + tag 5 (3) = 31, padding 20 = ff 7f, 17, 17 zeros.
    byte_builder want = byte_builder{}.uvarint(3).tag(0, proxied().bytes()).tag(5, {0xaa});
    c.push_back({"node endpoints rewritten, unknown tag kept",
                 byte_builder{}.uvarint(2).tag(0, upstream().bytes()).tag(5, {0xaa}), 16,
                 std::move(pad(want, 0x3FFF, 17)), 1, false});
  }
  {
    // No tags (1 byte); reserve 4: count 1, padding ff 7f 01 00.
    byte_builder want = byte_builder{}.uvarint(1);
    c.push_back({"empty section, smallest reserve", byte_builder{}.no_tags(), 4,
                 std::move(pad(want, 0x3FFF, 1)), 0, false});
  }
  {
    // Out 1 + 131 = 132: count 1, then 131 bytes of padding. With the 2-byte tag, 129 bytes
    // remain for size + data: 127 data needs a 1-byte size (128), 128 data a 2-byte one (130).
    // The 3-byte tag 0x4000 (80 80 01) leaves 128: size 127 (1 byte) + 127 zeros.
    byte_builder want = byte_builder{}.uvarint(1);
    c.push_back({"size varint gap takes the wide tag", byte_builder{}.no_tags(), 131,
                 std::move(pad(want, 0x4000, 127)), 0, false});
  }
  {
    // 127 empty tags (1..127): 1 + 254 = 255 bytes. With the padding the count is 128, a
    // 2-byte varint (80 01): 2 + 254 + padding 3 (ff 7f 00) = 259 = 255 + 4.
    byte_builder in = byte_builder{}.uvarint(127);
    byte_builder want = byte_builder{}.uvarint(128);
    for (std::uint32_t t = 1; t <= 127; ++t) {
      in.tag(t, std::initializer_list<std::uint8_t>{});
      want.tag(t, std::initializer_list<std::uint8_t>{});
    }
    c.push_back(
        {"count varint widens", std::move(in), 4, std::move(pad(want, 0x3FFF, 0)), 0, false});
  }
  {
    // Upstream host "k1": endpoints 14 bytes; in 1 + (1 + 1 + 14) = 17. Rewritten: count 2 +
    // tag 0 (1 + 1 + 25) = 28 and a padding of 3 at the least: reserve 14 is the least that
    // keeps it (17 + 14 = 31 = 28 + 3).
    byte_builder want = byte_builder{}.uvarint(2).tag(0, proxied().bytes());
    c.push_back({"node endpoints fits exactly",
                 byte_builder{}.uvarint(1).tag(0, endpoints("k1", 1).bytes()), 14,
                 std::move(pad(want, 0x3FFF, 0)), 1, false});
  }
  {
    // Same with reserve 13: 30 bytes out, NodeEndpoints dropped: count 1 + padding 29 =
    // ff 7f, 26, 26 zeros.
    byte_builder want = byte_builder{}.uvarint(1);
    c.push_back({"node endpoints does not fit: dropped",
                 byte_builder{}.uvarint(1).tag(0, endpoints("k1", 1).bytes()), 13,
                 std::move(pad(want, 0x3FFF, 26)), 0, true});
  }
  {
    // Dropped next to another tag: in 1 + 16 + 3 = 20, reserve 4: count 2 (- tag 0 + padding)
    // + tag 5 (3) + padding 20 = ff 7f, 17, 17 zeros.
    byte_builder want = byte_builder{}.uvarint(2).tag(5, {0xaa});
    c.push_back({"dropped, other tags kept",
                 byte_builder{}.uvarint(2).tag(0, endpoints("k1", 1).bytes()).tag(5, {0xaa}), 4,
                 std::move(pad(want, 0x3FFF, 17)), 0, true});
  }
  {
    // An empty NodeEndpoints array (01) is kept as is: 1 + 3 = 4 in; out 14 = count 1 + 3 +
    // padding 10 (ff 7f, 7, 7 zeros).
    byte_builder want = byte_builder{}.uvarint(2).tag(0, {0x01});
    c.push_back({"empty node endpoints kept", byte_builder{}.uvarint(1).tag(0, {0x01}), 10,
                 std::move(pad(want, 0x3FFF, 7)), 0, false});
  }
  return c;
}

TEST(FetchResponseTail, GoldenSections) {
  for (const auto& c : tail_cases()) {
    SCOPED_TRACE(c.name);
    byte_buffer out{std::byte{0x42}};  // appended after what the caller has
    auto stats = rewrite_fetch_tail(c.in.view(), proxy_map, c.reserve, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_EQ(out.size(), 1 + c.in.size() + c.reserve);
    EXPECT_EQ(byte_buffer(out.begin() + 1, out.end()), c.want.bytes());
    EXPECT_EQ(stats->addresses, c.addresses);
    EXPECT_EQ(stats->node_endpoints_dropped, c.dropped);
  }
}

// For every reserve from the minimum to past the first size-varint widening: the size is
// exact, the result is a valid section whose last tag is the zero-filled padding, and the
// other tags survive.
TEST(FetchResponseTail, EveryReserveGivesTheExactSize) {
  for (const auto& c : tail_cases()) {
    SCOPED_TRACE(c.name);
    for (std::size_t reserve = fetch_tail_min_reserve; reserve < 300; ++reserve) {
      SCOPED_TRACE(reserve);
      byte_buffer out;
      auto stats = rewrite_fetch_tail(c.in.view(), proxy_map, reserve, out);
      ASSERT_TRUE(stats) << stats.error().describe();
      ASSERT_EQ(out.size(), c.in.size() + reserve);
      std::vector<tagged_field> fields;
      wire_reader r{out};
      ASSERT_TRUE(read_tagged_fields(r, [&](const tagged_field& f) {
        fields.push_back(f);
        return true;
      }));
      ASSERT_TRUE(r.expect_end());
      ASSERT_FALSE(fields.empty());
      EXPECT_TRUE(fields.back().tag == fetch_padding_tag ||
                  fields.back().tag == fetch_padding_tag_wide);
      EXPECT_EQ(fields.back().data.size(), stats->padding);
      EXPECT_TRUE(
          std::ranges::all_of(fields.back().data, [](std::byte b) { return b == std::byte{0}; }));
      const bool has_endpoints = fields.front().tag == 0;
      const bool had_endpoints = c.in.size() > 1 && c.in.bytes()[1] == std::byte{0};
      EXPECT_EQ(has_endpoints, had_endpoints && !stats->node_endpoints_dropped);
    }
  }
}

TEST(FetchResponseTail, ErrorsLeaveOutAsItWas) {
  struct bad {
    std::string name;
    byte_builder in;
    std::size_t reserve;
    errc code;
  };
  const std::vector<bad> cases = {
      {"reserve below the minimum", byte_builder{}.no_tags(), 3, errc::invalid_value},
      {"unmapped node", byte_builder{}.uvarint(1).tag(0, endpoints("secret", 1, 99).bytes()), 64,
       errc::unmapped_node},
      {"tag at the padding tag", byte_builder{}.uvarint(1).tag(0x3FFF, {0x01}), 64,
       errc::invalid_value},
      {"tag above the padding tag", byte_builder{}.uvarint(1).tag(70000, {0x01}), 64,
       errc::invalid_value},
      {"truncated tag", byte_builder{}.uvarint(1).uvarint(5).uvarint(3).raw({1}), 64,
       errc::bad_length},
      {"trailing byte", byte_builder{}.no_tags().raw({0x00}), 64, errc::trailing_bytes},
      {"malformed node endpoints", byte_builder{}.uvarint(1).tag(0, {0x05, 0x00}), 64,
       errc::bad_length},
      {"empty", byte_builder{}, 64, errc::truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    byte_buffer out{std::byte{0x42}};
    auto stats = rewrite_fetch_tail(c.in.view(), proxy_map, c.reserve, out);
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().code, c.code) << stats.error().describe();
    EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
  }
}

}  // namespace
}  // namespace kpp::protocol
