// Metadata response v0-v13: hand-built golden vectors (MetadataResponse.json; v13 per KIP-1102),
// decode/encode round trips, splicing rewrites, and a malformed-input table.
#include "kpp/protocol/metadata_response.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;

// The proxy's mapper in miniature: node n -> "b<n>.px":31000+n, negative ids pass as ""/-1,
// node 666 is refused.
std::optional<advertised_endpoint> test_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".px", 31000 + e.node_id};
}

struct broker_spec {
  std::int32_t node_id;
  std::string host;
  std::int32_t port;
  std::optional<std::string> rack;
  bool unknown_tags = false;  // one unknown tagged field on the entry (v9+)
};

struct metadata_spec {
  std::int32_t throttle_time_ms = 0;
  std::vector<broker_spec> brokers;
  std::optional<std::string> cluster_id;
  std::int32_t controller_id = -1;
  bool with_topics = false;
  std::int32_t cluster_authorized_operations = std::numeric_limits<std::int32_t>::min();
  std::int16_t error_code = 0;
  bool unknown_tags = false;  // two unknown top-level tagged fields (v9+)
};

struct built {
  byte_buffer bytes;
  std::size_t brokers_end;  // first byte after Brokers[]
  std::size_t topics_begin;
  std::size_t topics_end;
};

// Lays out a body field by field as MetadataResponse.json says, independently of the codec.
built metadata_body(std::int16_t v, const metadata_spec& s) {
  const bool flex = v >= 9;  // flexibleVersions 9+
  byte_builder b;
  const auto str = [&](std::string_view x) { flex ? b.cstr(x) : b.str(x); };
  const auto nstr = [&](const std::optional<std::string>& x) {
    if (x) return str(*x);
    flex ? b.null_cstr() : b.null_str();
  };
  const auto arr = [&](std::uint32_t n) -> byte_builder& {
    return flex ? b.carray(n) : b.array(static_cast<std::int32_t>(n));
  };
  built out{};
  if (v >= 3) b.i32(s.throttle_time_ms);              // ThrottleTimeMs (v3+)
  arr(static_cast<std::uint32_t>(s.brokers.size()));  // Brokers
  for (const auto& br : s.brokers) {
    b.i32(br.node_id);          // NodeId
    str(br.host);               // Host
    b.i32(br.port);             // Port
    if (v >= 1) nstr(br.rack);  // Rack (v1+, nullable)
    if (flex && br.unknown_tags) {
      b.uvarint(1).tag(7, {0xCA, 0xFE});  // one unknown tag 7, 2 bytes
    } else if (flex) {
      b.no_tags();
    }
  }
  out.brokers_end = b.size();
  if (v >= 2) nstr(s.cluster_id);      // ClusterId (v2+, nullable)
  if (v >= 1) b.i32(s.controller_id);  // ControllerId (v1+)
  out.topics_begin = b.size();
  if (!s.with_topics) {
    arr(0);  // Topics: empty
  } else {
    arr(v >= 12 ? 2 : 1);                                                         // Topics
    b.i16(0);                                                                     // [0].ErrorCode
    str("orders");                                                                // [0].Name
    if (v >= 10) b.raw({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});  // [0].TopicId
    if (v >= 1) b.boolean(false);                                                 // [0].IsInternal
    arr(1);                                                                       // [0].Partitions
    b.i16(0);                                                                     //   ErrorCode
    b.i32(0);                    //   PartitionIndex
    b.i32(1);                    //   LeaderId
    if (v >= 7) b.i32(5);        //   LeaderEpoch (v7+)
    arr(2).i32(1001).i32(1002);  //   ReplicaNodes [1001, 1002]: ids unlike any count
    arr(1).i32(1002);            //   IsrNodes [1002]
    if (v >= 5) arr(0);          //   OfflineReplicas (v5+) []
    if (flex) b.no_tags();       //   partition tags
    if (v >= 8) b.i32(0x0F);     // [0].TopicAuthorizedOperations (v8+)
    if (flex) b.no_tags();       // [0] tags
    if (v >= 12) {               // a topic queried by id that does not exist: Name null
      b.i16(3);                  // [1].ErrorCode UNKNOWN_TOPIC_OR_PARTITION
      b.null_cstr();             // [1].Name null (v12+)
      b.raw({9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});  // [1].TopicId
      b.boolean(false);                                         // [1].IsInternal
      arr(0);                                                   // [1].Partitions
      b.i32(std::numeric_limits<std::int32_t>::min());          // [1].TopicAuthorizedOperations
      b.no_tags();
    }
  }
  out.topics_end = b.size();
  if (v >= 8 && v <= 10) b.i32(s.cluster_authorized_operations);  // (v8-10)
  if (v >= 13) b.i16(s.error_code);                               // ErrorCode (v13+)
  if (flex && s.unknown_tags) {
    b.uvarint(2).tag(0, {1, 2, 3}).tag(300, {0xFF});  // tag 300: two-byte varint 0xAC 0x02
  } else if (flex) {
    b.no_tags();
  }
  out.bytes = std::move(b).bytes();
  return out;
}

metadata_spec with_brokers(std::vector<broker_spec> brokers) {
  metadata_spec s;
  s.brokers = std::move(brokers);
  return s;
}

metadata_spec mapped(metadata_spec s) {
  for (auto& br : s.brokers) {
    const auto m = test_map({br.node_id, br.host, br.port, endpoint_kind::broker});
    br.host = m->host;
    br.port = m->port;
  }
  return s;
}

struct golden_case {
  std::string name;
  std::int16_t version;
  metadata_spec spec;
};

std::vector<golden_case> golden_cases() {
  std::vector<golden_case> cases;
  for (std::int16_t v = 0; v <= 13; ++v) {
    const std::string tag = "v" + std::to_string(v) + " ";
    cases.push_back({tag + "no brokers, null cluster id", v, metadata_spec{}});
    metadata_spec two;
    two.throttle_time_ms = 250;
    two.brokers = {{1, "kafka-1.internal", 9092, "us-west1-a", true},
                   {2, "10.0.0.2", 9093, std::nullopt, false}};
    two.cluster_id = "Zx9_cluster";
    two.controller_id = 2;
    two.with_topics = true;
    two.cluster_authorized_operations = 0x0BF8;
    two.error_code = v >= 13 ? 7 : 0;  // v13: REQUEST_TIMED_OUT asks for re-bootstrap
    two.unknown_tags = true;
    cases.push_back({tag + "two brokers, racks, topics, unknown tags", v, two});
    metadata_spec null_cluster = two;
    null_cluster.cluster_id.reset();
    null_cluster.brokers = {{1001, "k", 1, std::nullopt, false}};
    null_cluster.unknown_tags = false;
    cases.push_back({tag + "one broker, null cluster id", v, null_cluster});
  }
  return cases;
}

void expect_fields(const metadata_response_view& got, std::int16_t v, const metadata_spec& s,
                   const built& b) {
  EXPECT_EQ(got.version, v);
  EXPECT_EQ(got.throttle_time_ms, v >= 3 ? s.throttle_time_ms : 0);
  ASSERT_EQ(got.brokers.size(), s.brokers.size());
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    SCOPED_TRACE("broker " + std::to_string(i));
    EXPECT_EQ(got.brokers[i].node_id, s.brokers[i].node_id);
    EXPECT_EQ(got.brokers[i].host, s.brokers[i].host);
    EXPECT_EQ(got.brokers[i].port, s.brokers[i].port);
    if (v >= 1) {
      EXPECT_EQ(got.brokers[i].rack.has_value(), s.brokers[i].rack.has_value());
      if (s.brokers[i].rack) {
        EXPECT_EQ(*got.brokers[i].rack, *s.brokers[i].rack);
      }
    } else {
      EXPECT_FALSE(got.brokers[i].rack.has_value());
    }
    // Tagged section: one count byte, plus tag 7 size 2 0xCAFE when present.
    const std::size_t tags = v >= 9 ? (s.brokers[i].unknown_tags ? 5 : 1) : 0;
    EXPECT_EQ(got.brokers[i].tagged_fields.size(), tags);
  }
  if (v >= 2) {
    EXPECT_EQ(got.cluster_id.has_value(), s.cluster_id.has_value());
    if (s.cluster_id) {
      EXPECT_EQ(*got.cluster_id, *s.cluster_id);
    }
  } else {
    EXPECT_FALSE(got.cluster_id.has_value());
  }
  EXPECT_EQ(got.controller_id, v >= 1 ? s.controller_id : -1);
  EXPECT_EQ(got.topics.size(), b.topics_end - b.topics_begin);
  EXPECT_EQ(got.cluster_authorized_operations, v >= 8 && v <= 10
                                                   ? s.cluster_authorized_operations
                                                   : std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(got.error_code, v >= 13 ? s.error_code : 0);
  // count(1) + tag 0 (1+1+3) + tag 300 (2+1+1)
  const std::size_t tags = v >= 9 ? (s.unknown_tags ? 10 : 1) : 0;
  EXPECT_EQ(got.tagged_fields.size(), tags);
}

TEST(MetadataResponse, GoldenVectorsDecodeEncodeRewrite) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = metadata_body(c.version, c.spec);
    const built want = metadata_body(c.version, mapped(c.spec));

    const auto view = decode_metadata_response(in.bytes, c.version);
    ASSERT_TRUE(view) << view.error().describe();
    expect_fields(*view, c.version, c.spec, in);

    byte_buffer again;
    ASSERT_TRUE(encode_metadata_response(*view, again));
    EXPECT_EQ(again, in.bytes);

    // The dispatcher appends the body after the response header it already copied.
    const byte_buffer header{std::byte{0xAB}, std::byte{0xCD}};
    byte_buffer out = header;
    const auto stats = rewrite_metadata_response(in.bytes, c.version, test_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_EQ(stats->addresses, c.spec.brokers.size());
    EXPECT_EQ(stats->changed, !c.spec.brokers.empty());
    if (stats->changed) {
      ASSERT_GE(out.size(), header.size());
      EXPECT_EQ(byte_buffer(out.begin(), out.begin() + 2), header);
      EXPECT_EQ(byte_buffer(out.begin() + 2, out.end()), want.bytes);
    } else {
      EXPECT_EQ(out, header);  // untouched: forward the input as is
    }
  }
}

// Decodes input and output of a rewrite: everything but host and port must be equal.
TEST(MetadataResponse, RewriteChangesOnlyHostAndPort) {
  for (const auto& c : golden_cases()) {
    if (c.spec.brokers.empty()) continue;
    SCOPED_TRACE(c.name);
    const built in = metadata_body(c.version, c.spec);
    byte_buffer out;
    ASSERT_TRUE(rewrite_metadata_response(in.bytes, c.version, test_map, out));
    const auto a = decode_metadata_response(in.bytes, c.version);
    const auto b = decode_metadata_response(out, c.version);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->throttle_time_ms, b->throttle_time_ms);
    EXPECT_EQ(a->cluster_id, b->cluster_id);
    EXPECT_EQ(a->controller_id, b->controller_id);
    EXPECT_TRUE(std::ranges::equal(a->topics, b->topics));
    EXPECT_EQ(a->cluster_authorized_operations, b->cluster_authorized_operations);
    EXPECT_EQ(a->error_code, b->error_code);
    EXPECT_TRUE(std::ranges::equal(a->tagged_fields, b->tagged_fields));
    ASSERT_EQ(a->brokers.size(), b->brokers.size());
    for (std::size_t i = 0; i < a->brokers.size(); ++i) {
      const auto& x = a->brokers[i];
      const auto& y = b->brokers[i];
      EXPECT_EQ(x.node_id, y.node_id);
      EXPECT_EQ(x.rack, y.rack);
      EXPECT_TRUE(std::ranges::equal(x.tagged_fields, y.tagged_fields));
      const auto m = test_map({x.node_id, x.host, x.port, endpoint_kind::broker});
      EXPECT_EQ(y.host, m->host);
      EXPECT_EQ(y.port, m->port);
      EXPECT_NE(y.host, x.host);
    }
  }
}

// Literal anchors, byte by byte, so the test-side builder itself is checked against the spec.
TEST(MetadataResponse, LiteralVectors) {
  const byte_buffer v0 = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x01,  // Brokers: 1
      0x00, 0x00, 0x00, 0x01,  // NodeId 1
      0x00, 0x01, 'a',         // Host "a"
      0x00, 0x00, 0x23, 0x84,  // Port 9092
      0x00, 0x00, 0x00, 0x00,  // Topics: 0
  });
  EXPECT_EQ(v0, metadata_body(0, with_brokers({{1, "a", 9092, std::nullopt}})).bytes);
  const byte_buffer v0_out = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x01,                 // Brokers: 1
      0x00, 0x00, 0x00, 0x01,                 // NodeId 1
      0x00, 0x05, 'b',  '1',  '.', 'p', 'x',  // Host "b1.px"
      0x00, 0x00, 0x79, 0x19,                 // Port 31001
      0x00, 0x00, 0x00, 0x00,                 // Topics: 0
  });
  byte_buffer out;
  ASSERT_TRUE(rewrite_metadata_response(v0, 0, test_map, out));
  EXPECT_EQ(out, v0_out);

  const byte_buffer v13 = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x00,        // ThrottleTimeMs 0
      0x02,                          // Brokers: compact 1
      0x00, 0x00, 0x00, 0x02,        // NodeId 2
      0x02, 'h',                     // Host "h"
      0x00, 0x00, 0x23, 0x84,        // Port 9092
      0x00,                          // Rack null
      0x01, 0x07, 0x02, 0xCA, 0xFE,  // tags: 1 field, tag 7, 2 bytes
      0x02, 'c',                     // ClusterId "c"
      0x00, 0x00, 0x00, 0x02,        // ControllerId 2
      0x01,                          // Topics: compact 0
      0x00, 0x07,                    // ErrorCode 7 (KIP-1102)
      0x00,                          // tags: none
  });
  auto view = decode_metadata_response(v13, 13);
  ASSERT_TRUE(view) << view.error().describe();
  EXPECT_EQ(view->error_code, 7);
  EXPECT_EQ(view->brokers.at(0).host, "h");
  out.clear();
  ASSERT_TRUE(rewrite_metadata_response(v13, 13, test_map, out));
  const byte_buffer v13_out = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,        // throttle, count, NodeId 2
      0x06, 'b',  '2',  '.',  'p',  'x',                           // Host "b2.px"
      0x00, 0x00, 0x79, 0x1A,                                      // Port 31002
      0x00, 0x01, 0x07, 0x02, 0xCA, 0xFE,                          // Rack null, tags kept
      0x02, 'c',  0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x07, 0x00,  // rest verbatim
  });
  EXPECT_EQ(out, v13_out);
}

TEST(MetadataResponse, RewriteWhereMapperKeepsAddressLeavesOutputUntouched) {
  const built in = metadata_body(9, with_brokers({{4, "b4.px", 31004, std::nullopt}}));
  byte_buffer out{std::byte{1}};
  const auto stats = rewrite_metadata_response(in.bytes, 9, test_map, out);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->addresses, 1u);
  EXPECT_FALSE(stats->changed);
  EXPECT_EQ(out, byte_buffer{std::byte{1}});
}

TEST(MetadataResponse, TruncationAtEveryOffsetFails) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = metadata_body(c.version, c.spec);
    for (std::size_t n = 0; n < in.bytes.size(); ++n) {
      SCOPED_TRACE("truncated to " + std::to_string(n));
      const bytes_view cut = bytes_view(in.bytes).first(n);
      EXPECT_FALSE(decode_metadata_response(cut, c.version));
      // The rewrite reads only up to the end of Brokers[]; cut before that it must fail and
      // leave `out` alone.
      byte_buffer out{std::byte{7}};
      const auto r = rewrite_metadata_response(cut, c.version, test_map, out);
      if (n < in.brokers_end) {
        EXPECT_FALSE(r);
        EXPECT_EQ(out, byte_buffer{std::byte{7}});
      }
    }
  }
}

struct malformed_case {
  std::string name;
  std::int16_t version;
  byte_buffer body;
  errc want;
};

std::vector<malformed_case> malformed_cases() {
  const auto v1_tail = [](byte_builder b) {  // ClusterId absent at v1; ControllerId, Topics
    return std::move(b.i32(1).array(0)).bytes();
  };
  byte_buffer trailing = metadata_body(3, {}).bytes;
  trailing.push_back(std::byte{0});
  return {
      {"unknown version 14", 14, metadata_body(12, {}).bytes, errc::unknown_version},
      {"unknown version -1", -1, metadata_body(0, {}).bytes, errc::unknown_version},
      {"trailing byte", 3, trailing, errc::trailing_bytes},
      {"v0 brokers count -2", 0, byte_builder{}.array(-2).array(0), errc::negative_length},
      {"v1 brokers null", 1, byte_builder{}.array(-1).i32(1).array(0), errc::negative_length},
      {"v0 brokers count huge", 0, byte_builder{}.array(0x7FFFFFFF).array(0), errc::bad_length},
      {"v0 brokers count just past the bytes", 0,
       byte_builder{}.array(2).i32(1).str("a").i32(1).array(0), errc::bad_length},
      {"v9 brokers compact null", 9, byte_builder{}.i32(0).null_cstr(), errc::negative_length},
      {"v9 brokers compact huge", 9, byte_builder{}.i32(0).uvarint(0xFFFFFFFF), errc::bad_length},
      {"v9 brokers count varint overflow", 9,
       byte_builder{}.i32(0).raw({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), errc::varint_overflow},
      {"v9 brokers count non-shortest varint", 9,
       byte_builder{}.i32(0).raw({0x81, 0x00}).null_cstr().i32(1).carray(0).i32(0).no_tags(),
       errc::invalid_value},
      {"v0 host length -2", 0, byte_builder{}.array(1).i32(1).i16(-2).i32(1).array(0),
       errc::negative_length},
      {"v0 host null", 0, byte_builder{}.array(1).i32(1).null_str().i32(1).array(0),
       errc::negative_length},
      {"v0 host length past end", 0, byte_builder{}.array(1).i32(1).i16(0x7FFF).raw("ab"),
       errc::bad_length},
      {"v1 rack length -3", 1, v1_tail(byte_builder{}.array(1).i32(1).str("a").i32(1).i16(-3)),
       errc::negative_length},
      {"v9 host non-shortest varint", 9,
       byte_builder{}.i32(0).carray(1).i32(1).raw({0x82, 0x00}).raw("a").i32(1).null_cstr(),
       errc::invalid_value},
      {"v9 host compact length past end", 9,
       byte_builder{}.i32(0).carray(1).i32(1).uvarint(200).raw("abc"), errc::bad_length},
      {"v9 broker tags out of order", 9,
       byte_builder{}
           .i32(0)
           .carray(1)
           .i32(1)
           .cstr("a")
           .i32(1)
           .null_cstr()
           .uvarint(2)
           .tag(5, {})
           .tag(5, {}),
       errc::bad_tag_order},
      {"v9 broker tag size past end", 9,
       byte_builder{}
           .i32(0)
           .carray(1)
           .i32(1)
           .cstr("a")
           .i32(1)
           .null_cstr()
           .uvarint(1)
           .uvarint(3)
           .uvarint(50),
       errc::bad_length},
      {"v1 topics count huge", 1, byte_builder{}.array(0).i32(1).array(0x10000000),
       errc::bad_length},
      {"v1 partitions count huge", 1,
       byte_builder{}.array(0).i32(1).array(1).i16(0).str("t").boolean(false).array(0x7FFFFFF0),
       errc::bad_length},
      {"v5 replica count negative", 5,
       byte_builder{}
           .i32(0)
           .array(0)
           .null_str()
           .i32(1)
           .array(1)
           .i16(0)
           .str("t")
           .boolean(false)
           .array(1)
           .i16(0)
           .i32(0)
           .i32(1)
           .array(-5)
           .array(0)
           .array(0),
       errc::negative_length},
      {"v11 topic name null before v12", 11,
       byte_builder{}
           .i32(0)                     // ThrottleTimeMs
           .carray(0)                  // Brokers
           .null_cstr()                // ClusterId
           .i32(1)                     // ControllerId
           .carray(1)                  // Topics: 1
           .i16(0)                     // ErrorCode
           .null_cstr()                // Name: null, only allowed from v12
           .raw(std::string(16, 'u'))  // TopicId
           .boolean(false)             // IsInternal
           .carray(0)                  // Partitions
           .i32(0)                     // TopicAuthorizedOperations
           .no_tags()                  // topic tags
           .no_tags(),                 // top-level tags
       errc::negative_length},
      {"v13 missing error code", 13, byte_builder{}.i32(0).carray(0).null_cstr().i32(1).carray(0),
       errc::truncated},
  };
}

TEST(MetadataResponse, MalformedInputs) {
  for (const auto& c : malformed_cases()) {
    SCOPED_TRACE(c.name);
    const auto got = decode_metadata_response(c.body, c.version);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, c.want) << got.error().describe();
  }
}

TEST(MetadataResponse, ErrorOffsetsNameTheField) {
  // Enough bytes for the broker count to pass its minimum-size check, not for the host.
  const byte_buffer body =
      byte_builder{}.array(1).i32(1).i16(0x7FFF).raw("ab").i32(9092).array(0).bytes();
  const auto got = decode_metadata_response(body, 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().offset, 8u);  // the Host length prefix
  EXPECT_EQ(got.error().field, "brokers[].host");
}

TEST(MetadataResponse, RewriteFailsClosedOnUnmappedNode) {
  for (std::int16_t v = 0; v <= 13; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const built in = metadata_body(
        v, with_brokers({{1, "a", 1, std::nullopt}, {666, "secret.internal", 9092, "r"}}));
    byte_buffer out{std::byte{9}};
    const auto got = rewrite_metadata_response(in.bytes, v, test_map, out);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::unmapped_node);
    EXPECT_EQ(out, byte_buffer{std::byte{9}});
    // No mapper at all refuses as well.
    const auto none = rewrite_metadata_response(in.bytes, v, address_mapper{}, out);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, errc::unmapped_node);
  }
}

TEST(MetadataResponse, RewriteRejectsUnknownVersion) {
  byte_buffer out;
  const built in = metadata_body(12, {});
  for (std::int16_t v : {std::int16_t{-1}, std::int16_t{14}, std::int16_t{100}}) {
    const auto got = rewrite_metadata_response(in.bytes, v, test_map, out);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::unknown_version);
  }
}

TEST(MetadataResponse, EncodeRejectsUnknownVersionAndOverlongClassicStrings) {
  metadata_response_view v;
  v.version = 14;
  byte_buffer out;
  EXPECT_FALSE(encode_metadata_response(v, out));
  v.version = 8;
  const std::string huge(40000, 'h');
  v.brokers.push_back({1, huge, 1, std::nullopt, {}});
  const auto got = encode_metadata_response(v, out);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, errc::invalid_value);
  EXPECT_TRUE(out.empty());
}

// The fuzz seeds in tests/fuzz/corpus/metadata_response/ are these golden vectors
// (rewrite_test_support.h).
TEST(MetadataResponse, FuzzCorpusHoldsTheGoldenVectors) {
  test::expect_fuzz_corpus_holds("metadata_response", golden_cases(), [](const golden_case& c) {
    return metadata_body(c.version, c.spec).bytes;
  });
}

}  // namespace
}  // namespace kpp::protocol
