// DescribeCluster response v0-v2: hand-built golden vectors (DescribeClusterResponse.json; v2
// per KIP-1073), broker and controller endpoints (KIP-919), rewrites, malformed inputs.
#include "kpp/protocol/describe_cluster_response.h"

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

// Brokers n -> "b<n>.px":31000+n, controllers n -> "c<n>.ctl.px":32000+n; node 666 refused.
std::optional<advertised_endpoint> test_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  if (e.kind == endpoint_kind::controller) {
    return advertised_endpoint{"c" + std::to_string(e.node_id) + ".ctl.px", 32000 + e.node_id};
  }
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".px", 31000 + e.node_id};
}

struct broker_spec {
  std::int32_t broker_id;
  std::string host;
  std::int32_t port;
  std::optional<std::string> rack;
  bool is_fenced = false;     // v2+
  bool unknown_tags = false;  // an unknown tag on the entry
};

struct dc_spec {
  std::int32_t throttle_time_ms = 0;
  std::int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::int8_t endpoint_type = 1;  // v1+
  std::string cluster_id = "cluster-X";
  std::int32_t controller_id = -1;
  std::vector<broker_spec> brokers;
  std::int32_t cluster_authorized_operations = std::numeric_limits<std::int32_t>::min();
  bool unknown_tags = false;
};

struct built {
  byte_buffer bytes;
  std::size_t brokers_end;
};

// Lays out a body as DescribeClusterResponse.json says (flexible from v0), independently of
// the codec.
built dc_body(std::int16_t v, const dc_spec& s) {
  byte_builder b;
  b.i32(s.throttle_time_ms);  // ThrottleTimeMs
  b.i16(s.error_code);        // ErrorCode
  if (s.error_message) {      // ErrorMessage (nullable)
    b.cstr(*s.error_message);
  } else {
    b.null_cstr();
  }
  if (v >= 1) b.i8(s.endpoint_type);                       // EndpointType (v1+)
  b.cstr(s.cluster_id);                                    // ClusterId
  b.i32(s.controller_id);                                  // ControllerId
  b.carray(static_cast<std::uint32_t>(s.brokers.size()));  // Brokers
  for (const auto& br : s.brokers) {
    b.i32(br.broker_id);  // BrokerId
    b.cstr(br.host);      // Host
    b.i32(br.port);       // Port
    if (br.rack) {        // Rack (nullable)
      b.cstr(*br.rack);
    } else {
      b.null_cstr();
    }
    if (v >= 2) b.boolean(br.is_fenced);  // IsFenced (v2+)
    if (br.unknown_tags) {
      b.uvarint(1).tag(3, {0x42});
    } else {
      b.no_tags();
    }
  }
  const std::size_t brokers_end = b.size();
  b.i32(s.cluster_authorized_operations);  // ClusterAuthorizedOperations
  if (s.unknown_tags) {
    b.uvarint(2).tag(0, {}).tag(20000, {0x01, 0x02});  // tag 20000: varint 0xA0 0x9C 0x01
  } else {
    b.no_tags();
  }
  return {std::move(b).bytes(), brokers_end};
}

dc_spec mapped(dc_spec s, std::int16_t v) {
  const auto kind =
      v >= 1 && s.endpoint_type == 2 ? endpoint_kind::controller : endpoint_kind::broker;
  for (auto& br : s.brokers) {
    const auto m = test_map({br.broker_id, br.host, br.port, kind});
    br.host = m->host;
    br.port = m->port;
  }
  return s;
}

struct golden_case {
  std::string name;
  std::int16_t version;
  dc_spec spec;
};

std::vector<golden_case> golden_cases() {
  std::vector<golden_case> cases;
  for (std::int16_t v = 0; v <= 2; ++v) {
    const std::string tag = "v" + std::to_string(v) + " ";
    cases.push_back({tag + "no brokers", v, dc_spec{}});
    dc_spec denied;
    denied.error_code = 31;  // CLUSTER_AUTHORIZATION_FAILED
    denied.error_message = "Cluster authorization failed.";
    denied.cluster_id = "";
    cases.push_back({tag + "error answer", v, denied});
    dc_spec two;
    two.throttle_time_ms = 12;
    two.controller_id = 2;
    two.brokers = {{1, "kafka-1.internal", 9092, "rack-a", false, true},
                   {2, "10.0.0.2", 19092, std::nullopt, v >= 2, false}};
    two.cluster_authorized_operations = 0x0DF8;
    two.unknown_tags = true;
    cases.push_back({tag + "two brokers, racks, unknown tags", v, two});
    if (v >= 1) {
      dc_spec controllers;
      controllers.endpoint_type = 2;  // KIP-919: the controller quorum
      controllers.controller_id = 3000;
      controllers.brokers = {{3000, "ctl-0.internal", 9093, std::nullopt, false, false},
                             {3001, "ctl-1.internal", 9093, "rack-b", false, true}};
      cases.push_back({tag + "controller endpoints", v, controllers});
    }
  }
  return cases;
}

void expect_fields(const describe_cluster_response_view& got, std::int16_t v, const dc_spec& s) {
  EXPECT_EQ(got.version, v);
  EXPECT_EQ(got.throttle_time_ms, s.throttle_time_ms);
  EXPECT_EQ(got.error_code, s.error_code);
  EXPECT_EQ(got.error_message.has_value(), s.error_message.has_value());
  if (got.error_message && s.error_message) {
    EXPECT_EQ(*got.error_message, *s.error_message);
  }
  EXPECT_EQ(got.endpoint_type, v >= 1 ? s.endpoint_type : 1);
  EXPECT_EQ(got.cluster_id, s.cluster_id);
  EXPECT_EQ(got.controller_id, s.controller_id);
  ASSERT_EQ(got.brokers.size(), s.brokers.size());
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    SCOPED_TRACE("broker " + std::to_string(i));
    const auto& g = got.brokers[i];
    const auto& w = s.brokers[i];
    EXPECT_EQ(g.broker_id, w.broker_id);
    EXPECT_EQ(g.host, w.host);
    EXPECT_EQ(g.port, w.port);
    EXPECT_EQ(g.rack.has_value(), w.rack.has_value());
    if (g.rack && w.rack) {
      EXPECT_EQ(*g.rack, *w.rack);
    }
    EXPECT_EQ(g.is_fenced, v >= 2 && w.is_fenced);
    EXPECT_EQ(g.tagged_fields.size(), w.unknown_tags ? 4u : 1u);  // count + tag 3 (1+1+1)
  }
  EXPECT_EQ(got.cluster_authorized_operations, s.cluster_authorized_operations);
  // count + tag 0 (1+1+0) + tag 20000 (3+1+2)
  EXPECT_EQ(got.tagged_fields.size(), s.unknown_tags ? 9u : 1u);
}

TEST(DescribeClusterResponse, GoldenVectorsDecodeEncodeRewrite) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = dc_body(c.version, c.spec);
    const built want = dc_body(c.version, mapped(c.spec, c.version));

    const auto view = decode_describe_cluster_response(in.bytes, c.version);
    ASSERT_TRUE(view) << view.error().describe();
    expect_fields(*view, c.version, c.spec);

    byte_buffer again;
    ASSERT_TRUE(encode_describe_cluster_response(*view, again));
    EXPECT_EQ(again, in.bytes);

    const byte_buffer header{std::byte{0x22}, std::byte{0x00}};
    byte_buffer out = header;
    const auto stats = rewrite_describe_cluster_response(in.bytes, c.version, test_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_EQ(stats->addresses, c.spec.brokers.size());
    EXPECT_EQ(stats->changed, !c.spec.brokers.empty());
    if (stats->changed) {
      EXPECT_EQ(byte_buffer(out.begin(), out.begin() + 2), header);
      EXPECT_EQ(byte_buffer(out.begin() + 2, out.end()), want.bytes);
    } else {
      EXPECT_EQ(out, header);
    }
  }
}

TEST(DescribeClusterResponse, RewriteChangesOnlyHostAndPort) {
  for (const auto& c : golden_cases()) {
    if (c.spec.brokers.empty()) continue;
    SCOPED_TRACE(c.name);
    const built in = dc_body(c.version, c.spec);
    byte_buffer out;
    ASSERT_TRUE(rewrite_describe_cluster_response(in.bytes, c.version, test_map, out));
    const auto a = decode_describe_cluster_response(in.bytes, c.version);
    const auto b = decode_describe_cluster_response(out, c.version);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->throttle_time_ms, b->throttle_time_ms);
    EXPECT_EQ(a->error_code, b->error_code);
    EXPECT_EQ(a->error_message, b->error_message);
    EXPECT_EQ(a->endpoint_type, b->endpoint_type);
    EXPECT_EQ(a->cluster_id, b->cluster_id);
    EXPECT_EQ(a->controller_id, b->controller_id);
    EXPECT_EQ(a->cluster_authorized_operations, b->cluster_authorized_operations);
    EXPECT_TRUE(std::ranges::equal(a->tagged_fields, b->tagged_fields));
    const auto kind = a->endpoint_type == 2 ? endpoint_kind::controller : endpoint_kind::broker;
    ASSERT_EQ(a->brokers.size(), b->brokers.size());
    for (std::size_t i = 0; i < a->brokers.size(); ++i) {
      const auto& x = a->brokers[i];
      const auto& y = b->brokers[i];
      EXPECT_EQ(x.broker_id, y.broker_id);
      EXPECT_EQ(x.rack, y.rack);
      EXPECT_EQ(x.is_fenced, y.is_fenced);
      EXPECT_TRUE(std::ranges::equal(x.tagged_fields, y.tagged_fields));
      const auto m = test_map({x.broker_id, x.host, x.port, kind});
      EXPECT_EQ(y.host, m->host);
      EXPECT_EQ(y.port, m->port);
    }
  }
}

TEST(DescribeClusterResponse, LiteralVectorV2) {
  const byte_buffer v2 = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x00,  // ThrottleTimeMs
      0x00, 0x00,              // ErrorCode
      0x00,                    // ErrorMessage null
      0x02,                    // EndpointType 2 = controllers
      0x02, 'k',               // ClusterId "k"
      0x00, 0x00, 0x00, 0x07,  // ControllerId 7
      0x02,                    // Brokers: 1
      0x00, 0x00, 0x00, 0x07,  // BrokerId 7
      0x02, 'q',               // Host "q"
      0x00, 0x00, 0x23, 0x85,  // Port 9093
      0x00,                    // Rack null
      0x01,                    // IsFenced true (KIP-1073)
      0x00,                    // broker tags
      0x80, 0x00, 0x00, 0x00,  // ClusterAuthorizedOperations INT32_MIN
      0x00,                    // tags
  });
  std::vector<endpoint_kind> kinds;
  const address_mapper spy = [&](const endpoint& e) {
    kinds.push_back(e.kind);
    return test_map(e);
  };
  byte_buffer out;
  ASSERT_TRUE(rewrite_describe_cluster_response(v2, 2, spy, out));
  EXPECT_EQ(kinds, std::vector<endpoint_kind>{endpoint_kind::controller});
  const byte_buffer want = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 'k',
      0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x07,       // Brokers: 1, BrokerId 7
      0x0A, 'c',  '7',  '.',  'c',  't',  'l',  '.',  'p',  'x',  // Host "c7.ctl.px"
      0x00, 0x00, 0x7D, 0x07,                                     // Port 32007
      0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,             // rest verbatim
  });
  EXPECT_EQ(out, want);
}

TEST(DescribeClusterResponse, TruncationAtEveryOffsetFails) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = dc_body(c.version, c.spec);
    for (std::size_t n = 0; n < in.bytes.size(); ++n) {
      SCOPED_TRACE("truncated to " + std::to_string(n));
      const bytes_view cut = bytes_view(in.bytes).first(n);
      EXPECT_FALSE(decode_describe_cluster_response(cut, c.version));
      byte_buffer out{std::byte{7}};
      const auto r = rewrite_describe_cluster_response(cut, c.version, test_map, out);
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

// ThrottleTimeMs, ErrorCode, ErrorMessage null, [EndpointType], ClusterId "c", ControllerId.
byte_builder head(std::int16_t v, std::int8_t endpoint_type = 1) {
  byte_builder b;
  b.i32(0).i16(0).null_cstr();
  if (v >= 1) b.i8(endpoint_type);
  b.cstr("c").i32(1);
  return b;
}

std::vector<malformed_case> malformed_cases() {
  const auto tail = [](byte_builder b) { return std::move(b.i32(0).no_tags()).bytes(); };
  byte_buffer trailing = tail(head(0).carray(0));
  trailing.push_back(std::byte{0});
  return {
      {"unknown version 3", 3, tail(head(2).carray(0)), errc::unknown_version},
      {"unknown version -1", -1, tail(head(0).carray(0)), errc::unknown_version},
      {"trailing byte", 0, trailing, errc::trailing_bytes},
      {"v1 endpoint type 0", 1, tail(head(1, 0).carray(0)), errc::invalid_value},
      {"v2 endpoint type 3", 2, tail(head(2, 3).carray(0)), errc::invalid_value},
      {"v0 cluster id null", 0,
       tail(byte_builder{}.i32(0).i16(0).null_cstr().null_cstr().i32(1).carray(0)),
       errc::negative_length},
      {"v0 error message past end", 0, byte_builder{}.i32(0).i16(0).uvarint(100).raw("x"),
       errc::bad_length},
      {"v0 brokers null", 0, tail(head(0).null_cstr()), errc::negative_length},
      {"v0 brokers huge", 0, tail(head(0).uvarint(0x7FFFFFFF)), errc::bad_length},
      {"v0 brokers count non-shortest", 0, tail(head(0).raw({0x81, 0x00})), errc::invalid_value},
      {"v1 host null", 1, tail(head(1).carray(1).i32(1).null_cstr().i32(1).null_cstr().no_tags()),
       errc::negative_length},
      {"v1 rack non-shortest", 1,
       tail(head(1).carray(1).i32(1).cstr("h").i32(1).raw({0x82, 0x00}).raw("r").no_tags()),
       errc::invalid_value},
      {"v2 is_fenced 2", 2,
       tail(head(2).carray(1).i32(1).cstr("h").i32(1).null_cstr().i8(2).no_tags()),
       errc::invalid_value},
      {"v2 broker tags duplicate", 2,
       tail(head(2)
                .carray(1)
                .i32(1)
                .cstr("h")
                .i32(1)
                .null_cstr()
                .boolean(false)
                .uvarint(2)
                .tag(1, {})
                .tag(1, {})),
       errc::bad_tag_order},
      {"v2 top-level tag count huge", 2,
       std::move(head(2).carray(0).i32(0).uvarint(0x0FFFFFFF)).bytes(), errc::bad_length},
      {"v0 missing cluster authorized operations", 0, std::move(head(0).carray(0)).bytes(),
       errc::truncated},
  };
}

TEST(DescribeClusterResponse, MalformedInputs) {
  for (const auto& c : malformed_cases()) {
    SCOPED_TRACE(c.name);
    const auto got = decode_describe_cluster_response(c.body, c.version);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, c.want) << got.error().describe();
  }
}

TEST(DescribeClusterResponse, RewriteFailsClosedOnUnmappedNode) {
  for (std::int16_t v = 0; v <= 2; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    dc_spec s;
    s.brokers = {{1, "a", 1, std::nullopt, false, false},
                 {666, "secret.internal", 9092, std::nullopt, false, false}};
    const built in = dc_body(v, s);
    byte_buffer out{std::byte{9}};
    const auto got = rewrite_describe_cluster_response(in.bytes, v, test_map, out);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::unmapped_node);
    EXPECT_EQ(out, byte_buffer{std::byte{9}});
    const auto none = rewrite_describe_cluster_response(in.bytes, v, address_mapper{}, out);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, errc::unmapped_node);
  }
}

TEST(DescribeClusterResponse, UnknownVersionFailsEverywhere) {
  const byte_buffer body = dc_body(2, dc_spec{}).bytes;
  byte_buffer out;
  for (std::int16_t v : {std::int16_t{-1}, std::int16_t{3}}) {
    const auto r = rewrite_describe_cluster_response(body, v, test_map, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unknown_version);
    describe_cluster_response_view view;
    view.version = v;
    EXPECT_FALSE(encode_describe_cluster_response(view, out));
  }
  EXPECT_TRUE(out.empty());
}

// The fuzz seeds in tests/fuzz/corpus/describe_cluster_response/ are these golden vectors
// (rewrite_test_support.h).
TEST(DescribeClusterResponse, FuzzCorpusHoldsTheGoldenVectors) {
  test::expect_fuzz_corpus_holds(
      "describe_cluster_response", golden_cases(),
      [](const golden_case& c) { return dc_body(c.version, c.spec).bytes; });
}

}  // namespace
}  // namespace kpp::protocol
