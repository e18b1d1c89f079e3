// KIP-951 NodeEndpoints entry codec and its rewrite. Vectors are written by hand from
// ProduceResponse.json / FetchResponse.json / ShareFetchResponse.json (the entry is the
// same in all four APIs): NodeId int32, Host compact string, Port int32, Rack compact
// nullable string, _tagged_fields.
#include "kpp/protocol/node_endpoints.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::proxy_map;

// An unknown tagged field on an entry: count 1, tag 7, size 2, data CA FE.
byte_builder entry_tags() {
  return byte_builder{}.uvarint(1).uvarint(7).uvarint(2).raw({0xca, 0xfe});
}

// Two entries as the upstream wrote them.
byte_builder upstream_array() {
  return byte_builder{}
      .carray(2)
      .i32(1)                     // NodeId
      .cstr("broker-1.internal")  // Host
      .i32(9092)                  // Port
      .cstr("rack-a")             // Rack
      .no_tags()                  // _tagged_fields
      .i32(2)                     // NodeId
      .cstr("broker-2.internal")  // Host
      .i32(9093)                  // Port
      .null_cstr()                // Rack: null
      .append(entry_tags());      // _tagged_fields: one unknown tag, kept
}

// The same, as clients must see it.
byte_builder proxied_array() {
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
      .append(entry_tags());
}

TEST(NodeEndpoints, DecodesEveryField) {
  const auto in = upstream_array();
  auto got = decode_node_endpoints(in.view());
  ASSERT_TRUE(got) << got.error().describe();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].node_id, 1);
  EXPECT_EQ((*got)[0].host, "broker-1.internal");
  EXPECT_EQ((*got)[0].port, 9092);
  ASSERT_TRUE((*got)[0].rack.has_value());
  EXPECT_EQ(*(*got)[0].rack, "rack-a");
  EXPECT_EQ((*got)[0].tagged_fields.size(), 1u);  // just the zero count
  EXPECT_EQ((*got)[1].node_id, 2);
  EXPECT_EQ((*got)[1].port, 9093);
  EXPECT_FALSE((*got)[1].rack.has_value());
  const auto tags = entry_tags();
  EXPECT_TRUE(std::ranges::equal((*got)[1].tagged_fields, tags.view()));
}

TEST(NodeEndpoints, ReencodesByteIdentical) {
  for (const auto& in : {upstream_array(), proxied_array(), byte_builder{}.carray(0)}) {
    auto got = decode_node_endpoints(in.view());
    ASSERT_TRUE(got) << got.error().describe();
    byte_buffer out;
    wire_writer w{out};
    encode_node_endpoints(w, *got);
    EXPECT_EQ(out, in.bytes());
  }
}

TEST(NodeEndpoints, RewriteReplacesOnlyHostAndPort) {
  const auto in = upstream_array();
  wire_reader r{in.view()};
  byte_buffer out;
  wire_writer w{out};
  rewrite_stats stats;
  ASSERT_TRUE(rewrite_node_endpoints(r, proxy_map, w, stats)) << r.err().describe();
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(stats.addresses, 2u);
  EXPECT_EQ(out, proxied_array().bytes());

  auto before = decode_node_endpoints(in.view());
  auto after = decode_node_endpoints(out);
  ASSERT_TRUE(before && after);
  ASSERT_EQ(before->size(), after->size());
  for (std::size_t i = 0; i < before->size(); ++i) {
    SCOPED_TRACE(i);
    const auto& b = (*before)[i];
    const auto& a = (*after)[i];
    EXPECT_EQ(a.node_id, b.node_id);
    EXPECT_EQ(a.rack, b.rack);
    EXPECT_TRUE(std::ranges::equal(a.tagged_fields, b.tagged_fields));
    const auto want = proxy_map(endpoint{b.node_id, b.host, b.port});
    EXPECT_EQ(a.host, want->host);
    EXPECT_EQ(a.port, want->port);
  }
}

TEST(NodeEndpoints, SpliceKeepsEverythingAroundTheArray) {
  // A body with 3 bytes before and 2 after the array, as in ShareFetch.
  const auto body =
      byte_builder{}.raw({0xaa, 0xbb, 0xcc}).append(upstream_array()).raw({0x00, 0xdd});
  const auto want =
      byte_builder{}.raw({0xaa, 0xbb, 0xcc}).append(proxied_array()).raw({0x00, 0xdd});
  const auto array = body.view().subspan(3, upstream_array().size());
  byte_buffer out{std::byte{0x42}};  // splice appends
  auto stats = splice_node_endpoints(body.view(), array, proxy_map, out);
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_TRUE(stats->changed);
  ASSERT_EQ(out.size(), want.size() + 1);
  EXPECT_EQ(out[0], std::byte{0x42});
  EXPECT_TRUE(std::ranges::equal(std::span(out).subspan(1), want.view()));
}

TEST(NodeEndpoints, TaggedSpliceReencodesTheTagSize) {
  // Section: count 2, tag 0 (size, array), tag 4 (size 1, 0x01). A long advertised host
  // pushes the tag-0 size past 127, so its uvarint grows from one byte to two.
  const std::string long_host(150, 'h');
  const address_mapper long_map = [&](const endpoint& e) {
    return std::optional<advertised_endpoint>{advertised_endpoint{long_host, 9000 + e.node_id}};
  };
  const auto one = byte_builder{}.carray(1).i32(3).cstr("k3").i32(9092).null_cstr().no_tags();
  const auto body = byte_builder{}
                        .raw({0x11})  // stands for the fields before the section
                        .uvarint(2)
                        .tag(0, one.bytes())
                        .tag(4, {0x01});
  const auto new_one =
      byte_builder{}.carray(1).i32(3).cstr(long_host).i32(9003).null_cstr().no_tags();
  ASSERT_GT(new_one.size(), 127u);
  const auto want = byte_builder{}.raw({0x11}).uvarint(2).tag(0, new_one.bytes()).tag(4, {0x01});
  wire_reader r{body.view()};
  r.skip(1, "prefix");
  tagged_node_endpoints tags;
  ASSERT_TRUE(read_top_level_tags(r, tags)) << r.err().describe();
  EXPECT_EQ(tags.section_offset, 1u);
  EXPECT_EQ(tags.tag_count, 2u);
  EXPECT_EQ(tags.entry_offset, 2u);
  ASSERT_TRUE(tags.node_endpoints.has_value());
  byte_buffer out;
  auto stats = splice_tagged_node_endpoints(body.view(), tags.entry_offset, *tags.node_endpoints,
                                            long_map, out);
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_EQ(out, want.bytes());
}

struct bad_case {
  const char* name;
  byte_builder bytes;
  errc code;
};

TEST(NodeEndpoints, MalformedInputIsAnError) {
  const std::vector<bad_case> cases = {
      {"trailing byte", byte_builder{}.append(upstream_array()).raw({0x00}), errc::trailing_bytes},
      {"null array", byte_builder{}.null_carray(), errc::negative_length},
      {"count beyond the bytes", byte_builder{}.carray(1000000).repeat(20, 0), errc::bad_length},
      {"null host", byte_builder{}.carray(1).i32(1).null_cstr().i32(1).null_cstr().no_tags(),
       errc::negative_length},
      {"host past the end", byte_builder{}.carray(1).i32(1).uvarint(200).repeat(10, 0x61),
       errc::bad_length},
      {"entry tags out of order",
       byte_builder{}
           .carray(1)
           .i32(1)
           .cstr("h")
           .i32(1)
           .null_cstr()
           .uvarint(2)
           .uvarint(5)
           .uvarint(0)
           .uvarint(5)
           .uvarint(0),
       errc::bad_tag_order},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = decode_node_endpoints(c.bytes.view());
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, c.code) << got.error().describe();
  }
}

TEST(NodeEndpoints, TruncationAtEveryOffsetFails) {
  const auto in = upstream_array();
  for (std::size_t n = 0; n < in.size(); ++n) {
    SCOPED_TRACE(n);
    auto got = decode_node_endpoints(in.view().first(n));
    ASSERT_FALSE(got);
    EXPECT_LE(got.error().offset, n);
    wire_reader r{in.view().first(n)};
    byte_buffer out;
    wire_writer w{out};
    rewrite_stats stats;
    EXPECT_FALSE(rewrite_node_endpoints(r, proxy_map, w, stats));
  }
}

TEST(NodeEndpoints, UnmappedNodeFailsClosedAtItsEntry) {
  const auto in = byte_builder{}
                      .carray(2)
                      .i32(1)
                      .cstr("a")
                      .i32(1)
                      .null_cstr()
                      .no_tags()  // count 1 + entry 12 bytes
                      .i32(99)
                      .cstr("secret.internal")
                      .i32(9092)
                      .null_cstr()
                      .no_tags();
  const auto array = in.view();
  byte_buffer out{std::byte{0x7f}};
  auto stats = splice_node_endpoints(array, array, proxy_map, out);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code, errc::unmapped_node);
  EXPECT_EQ(stats.error().offset, 13u);          // where the second entry starts
  EXPECT_EQ(out, byte_buffer{std::byte{0x7f}});  // nothing half-written stays behind
}

TEST(NodeEndpoints, AdvertisedPortOutOfRangeIsRefused) {
  const address_mapper bad = [](const endpoint&) {
    return std::optional<advertised_endpoint>{advertised_endpoint{"x", 70000}};
  };
  const auto in = upstream_array();
  byte_buffer out;
  auto stats = splice_node_endpoints(in.view(), in.view(), bad, out);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code, errc::invalid_value);
  EXPECT_TRUE(out.empty());
}

TEST(NodeEndpoints, EmptyArrayChangesNothing) {
  const auto in = byte_builder{}.carray(0);
  byte_buffer out;
  auto stats = splice_node_endpoints(in.view(), in.view(), proxy_map, out);
  ASSERT_TRUE(stats);
  EXPECT_FALSE(stats->changed);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace kpp::protocol
