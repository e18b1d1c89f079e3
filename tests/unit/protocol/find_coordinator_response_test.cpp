// FindCoordinator response v0-v6: hand-built golden vectors (FindCoordinatorResponse.json),
// both shapes (v0-3 top-level, v4+ Coordinators[]), rewrites and a malformed-input table.
#include "kpp/protocol/find_coordinator_response.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;

// node n -> "b<n>.px":31000+n; negative ids (error answers) -> ""/-1; node 666 refused.
// Coordinators are brokers: a controller-kind lookup gets a host no vector expects.
std::optional<advertised_endpoint> test_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  if (e.kind != endpoint_kind::broker) return advertised_endpoint{"wrong-kind", 1};
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".px", 31000 + e.node_id};
}

struct coordinator_spec {
  std::string key;  // v4+ only
  std::int32_t node_id;
  std::string host;
  std::int32_t port;
  std::int16_t error_code = 0;
  std::optional<std::string> error_message;  // v1+
  bool unknown_tags = false;                 // an unknown tag on the entry (v4+)
};

struct fc_spec {
  std::int32_t throttle_time_ms = 0;
  std::vector<coordinator_spec> coordinators;  // v0-3: exactly one, written at top level
  bool unknown_tags = false;                   // unknown top-level tags (v3+)
};

struct built {
  byte_buffer bytes;
  std::size_t address_end;  // first byte after the last address field the rewrite reads
};

// Lays out a body as FindCoordinatorResponse.json says, independently of the codec.
built fc_body(std::int16_t v, const fc_spec& s) {
  const bool flex = v >= 3;  // flexibleVersions 3+
  byte_builder b;
  const auto str = [&](std::string_view x) { flex ? b.cstr(x) : b.str(x); };
  const auto nstr = [&](const std::optional<std::string>& x) {
    if (x) return str(*x);
    flex ? b.null_cstr() : b.null_str();
  };
  if (v >= 4) {
    b.i32(s.throttle_time_ms);                                    // ThrottleTimeMs
    b.carray(static_cast<std::uint32_t>(s.coordinators.size()));  // Coordinators
    for (const auto& c : s.coordinators) {
      b.cstr(c.key);          // Key
      b.i32(c.node_id);       // NodeId
      b.cstr(c.host);         // Host
      b.i32(c.port);          // Port
      b.i16(c.error_code);    // ErrorCode
      nstr(c.error_message);  // ErrorMessage (nullable)
      if (c.unknown_tags) {
        b.uvarint(2).tag(1, {0x01}).tag(130, {});  // tag 130: varint 0x82 0x01, size 0
      } else {
        b.no_tags();
      }
    }
  } else {
    const auto& c = s.coordinators.at(0);
    if (v >= 1) b.i32(s.throttle_time_ms);  // ThrottleTimeMs (v1+)
    b.i16(c.error_code);                    // ErrorCode
    if (v >= 1) nstr(c.error_message);      // ErrorMessage (v1-3, nullable)
    b.i32(c.node_id);                       // NodeId
    str(c.host);                            // Host
    b.i32(c.port);                          // Port
  }
  const std::size_t address_end = b.size();
  if (flex && s.unknown_tags) {
    b.uvarint(1).tag(9, {0xDE, 0xAD, 0xBE, 0xEF});
  } else if (flex) {
    b.no_tags();
  }
  return {std::move(b).bytes(), address_end};
}

fc_spec mapped(fc_spec s) {
  for (auto& c : s.coordinators) {
    const auto m = test_map({c.node_id, c.host, c.port, endpoint_kind::broker});
    c.host = m->host;
    c.port = m->port;
  }
  return s;
}

struct golden_case {
  std::string name;
  std::int16_t version;
  fc_spec spec;
  std::size_t changed_addresses;  // entries whose address the mapper actually changes
};

std::vector<golden_case> golden_cases() {
  std::vector<golden_case> cases;
  const coordinator_spec ok{"group-a", 3, "kafka-3.internal", 9092, 0, std::nullopt, true};
  // An error answer as brokers write it: NodeId -1, Host "", Port -1.
  const coordinator_spec not_available{"txn-b", -1, "", -1, 15, "The coordinator is not available.",
                                       false};
  for (std::int16_t v = 0; v <= 6; ++v) {
    const std::string tag = "v" + std::to_string(v) + " ";
    fc_spec one;
    one.throttle_time_ms = 40;
    one.coordinators = {ok};
    one.unknown_tags = true;
    fc_spec error;
    error.coordinators = {not_available};
    if (v < 1) error.coordinators[0].error_message.reset();
    cases.push_back({tag + "coordinator found, unknown tags", v, one, 1});
    cases.push_back({tag + "error answer, NodeId -1", v, error, 0});
    if (v >= 4) {
      cases.push_back({tag + "no coordinators", v, fc_spec{}, 0});
      fc_spec two;
      two.throttle_time_ms = 1;
      two.coordinators = {ok, not_available, {"g", 2, "10.1.1.2", 9094, 0, "", false}};
      cases.push_back({tag + "three coordinators, one error", v, two, 2});
    }
  }
  return cases;
}

void expect_fields(const find_coordinator_response_view& got, std::int16_t v, const fc_spec& s) {
  EXPECT_EQ(got.version, v);
  EXPECT_EQ(got.throttle_time_ms, v >= 1 ? s.throttle_time_ms : 0);
  const auto check_message = [&](const std::optional<std::string_view>& m,
                                 const std::optional<std::string>& want) {
    EXPECT_EQ(m.has_value(), want.has_value());
    if (m && want) {
      EXPECT_EQ(*m, *want);
    }
  };
  if (v >= 4) {
    ASSERT_EQ(got.coordinators.size(), s.coordinators.size());
    for (std::size_t i = 0; i < s.coordinators.size(); ++i) {
      SCOPED_TRACE("coordinator " + std::to_string(i));
      const auto& g = got.coordinators[i];
      const auto& w = s.coordinators[i];
      EXPECT_EQ(g.key, w.key);
      EXPECT_EQ(g.node_id, w.node_id);
      EXPECT_EQ(g.host, w.host);
      EXPECT_EQ(g.port, w.port);
      EXPECT_EQ(g.error_code, w.error_code);
      check_message(g.error_message, w.error_message);
      // count + tag 1 (1+1+1) + tag 130 (2+1+0)
      EXPECT_EQ(g.tagged_fields.size(), w.unknown_tags ? 7u : 1u);
    }
    EXPECT_EQ(got.host, "");
  } else {
    EXPECT_TRUE(got.coordinators.empty());
    const auto& w = s.coordinators.at(0);
    EXPECT_EQ(got.error_code, w.error_code);
    if (v >= 1) {
      check_message(got.error_message, w.error_message);
    } else {
      EXPECT_FALSE(got.error_message.has_value());
    }
    EXPECT_EQ(got.node_id, w.node_id);
    EXPECT_EQ(got.host, w.host);
    EXPECT_EQ(got.port, w.port);
  }
  const std::size_t tags = v >= 3 ? (s.unknown_tags ? 7 : 1) : 0;  // count + tag 9 (1+1+4)
  EXPECT_EQ(got.tagged_fields.size(), tags);
}

TEST(FindCoordinatorResponse, GoldenVectorsDecodeEncodeRewrite) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = fc_body(c.version, c.spec);
    const built want = fc_body(c.version, mapped(c.spec));

    const auto view = decode_find_coordinator_response(in.bytes, c.version);
    ASSERT_TRUE(view) << view.error().describe();
    expect_fields(*view, c.version, c.spec);

    byte_buffer again;
    ASSERT_TRUE(encode_find_coordinator_response(*view, again));
    EXPECT_EQ(again, in.bytes);

    const byte_buffer header{std::byte{0x11}};
    byte_buffer out = header;
    const auto stats = rewrite_find_coordinator_response(in.bytes, c.version, test_map, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    // Every entry reaches the mapper, error answers included.
    EXPECT_EQ(stats->addresses, c.version >= 4 ? c.spec.coordinators.size() : 1u);
    EXPECT_EQ(stats->changed, c.changed_addresses > 0);
    if (stats->changed) {
      EXPECT_EQ(out.front(), header.front());
      EXPECT_EQ(byte_buffer(out.begin() + 1, out.end()), want.bytes);
    } else {
      EXPECT_EQ(out, header);
      EXPECT_EQ(in.bytes, want.bytes);  // the mapper kept every address
    }
  }
}

TEST(FindCoordinatorResponse, RewriteChangesOnlyHostAndPort) {
  for (const auto& c : golden_cases()) {
    if (c.changed_addresses == 0) continue;
    SCOPED_TRACE(c.name);
    const built in = fc_body(c.version, c.spec);
    byte_buffer out;
    ASSERT_TRUE(rewrite_find_coordinator_response(in.bytes, c.version, test_map, out));
    const auto a = decode_find_coordinator_response(in.bytes, c.version);
    const auto b = decode_find_coordinator_response(out, c.version);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->throttle_time_ms, b->throttle_time_ms);
    EXPECT_EQ(a->error_code, b->error_code);
    EXPECT_EQ(a->error_message, b->error_message);
    EXPECT_EQ(a->node_id, b->node_id);
    EXPECT_TRUE(std::ranges::equal(a->tagged_fields, b->tagged_fields));
    if (c.version < 4) {
      const auto m = test_map({a->node_id, a->host, a->port, endpoint_kind::broker});
      EXPECT_EQ(b->host, m->host);
      EXPECT_EQ(b->port, m->port);
    }
    ASSERT_EQ(a->coordinators.size(), b->coordinators.size());
    for (std::size_t i = 0; i < a->coordinators.size(); ++i) {
      const auto& x = a->coordinators[i];
      const auto& y = b->coordinators[i];
      EXPECT_EQ(x.key, y.key);
      EXPECT_EQ(x.node_id, y.node_id);
      EXPECT_EQ(x.error_code, y.error_code);
      EXPECT_EQ(x.error_message, y.error_message);
      EXPECT_TRUE(std::ranges::equal(x.tagged_fields, y.tagged_fields));
      const auto m = test_map({x.node_id, x.host, x.port, endpoint_kind::broker});
      EXPECT_EQ(y.host, m->host);
      EXPECT_EQ(y.port, m->port);
    }
  }
}

TEST(FindCoordinatorResponse, LiteralVectors) {
  // v0: ErrorCode 0, NodeId 5, Host "h", Port 9092.
  const byte_buffer v0 = byte_builder{}.raw(
      {0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'h', 0x00, 0x00, 0x23, 0x84});
  byte_buffer out;
  ASSERT_TRUE(rewrite_find_coordinator_response(v0, 0, test_map, out));
  EXPECT_EQ(out, byte_builder{}
                     .raw({0x00, 0x00,                           // ErrorCode
                           0x00, 0x00, 0x00, 0x05,               // NodeId 5
                           0x00, 0x05, 'b', '5', '.', 'p', 'x',  // Host "b5.px"
                           0x00, 0x00, 0x79, 0x1D})              // Port 31005
                     .bytes());
  // v4: one error entry, exactly as a broker writes COORDINATOR_NOT_AVAILABLE.
  const byte_buffer v4 = byte_builder{}.raw({
      0x00, 0x00, 0x00, 0x00,  // ThrottleTimeMs
      0x02,                    // Coordinators: 1
      0x02, 'g',               // Key "g"
      0xFF, 0xFF, 0xFF, 0xFF,  // NodeId -1
      0x01,                    // Host ""
      0xFF, 0xFF, 0xFF, 0xFF,  // Port -1
      0x00, 0x0F,              // ErrorCode 15
      0x00,                    // ErrorMessage null
      0x00,                    // entry tags
      0x00,                    // top-level tags
  });
  const auto view = decode_find_coordinator_response(v4, 4);
  ASSERT_TRUE(view) << view.error().describe();
  ASSERT_EQ(view->coordinators.size(), 1u);
  EXPECT_EQ(view->coordinators[0].node_id, -1);
  EXPECT_EQ(view->coordinators[0].port, -1);
  EXPECT_EQ(view->coordinators[0].error_code, 15);
  std::vector<std::int32_t> seen;
  const address_mapper spy = [&](const endpoint& e) {
    seen.push_back(e.node_id);
    return test_map(e);
  };
  out.clear();
  const auto stats = rewrite_find_coordinator_response(v4, 4, spy, out);
  ASSERT_TRUE(stats);
  EXPECT_EQ(seen, std::vector<std::int32_t>{-1});
  EXPECT_FALSE(stats->changed);
}

TEST(FindCoordinatorResponse, TruncationAtEveryOffsetFails) {
  for (const auto& c : golden_cases()) {
    SCOPED_TRACE(c.name);
    const built in = fc_body(c.version, c.spec);
    for (std::size_t n = 0; n < in.bytes.size(); ++n) {
      SCOPED_TRACE("truncated to " + std::to_string(n));
      const bytes_view cut = bytes_view(in.bytes).first(n);
      EXPECT_FALSE(decode_find_coordinator_response(cut, c.version));
      byte_buffer out{std::byte{7}};
      const auto r = rewrite_find_coordinator_response(cut, c.version, test_map, out);
      if (n < in.address_end) {
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
  byte_buffer trailing = byte_builder{}.i16(0).i32(1).str("h").i32(1).i8(0);
  return {
      {"unknown version 7", 7, byte_builder{}.i32(0).carray(0).no_tags(), errc::unknown_version},
      {"unknown version -1", -1, byte_builder{}.i16(0).i32(1).str("h").i32(1),
       errc::unknown_version},
      {"v0 trailing byte", 0, trailing, errc::trailing_bytes},
      {"v0 host length -2", 0, byte_builder{}.i16(0).i32(1).i16(-2).i32(1), errc::negative_length},
      {"v0 host null", 0, byte_builder{}.i16(0).i32(1).null_str().i32(1), errc::negative_length},
      {"v1 host length past end", 1,
       byte_builder{}.i32(0).i16(0).null_str().i32(1).i16(300).raw("abc"), errc::bad_length},
      {"v2 error message length -7", 2, byte_builder{}.i32(0).i16(0).i16(-7),
       errc::negative_length},
      {"v3 host compact past end", 3,
       byte_builder{}.i32(0).i16(0).null_cstr().i32(1).uvarint(1000).raw("ab"), errc::bad_length},
      {"v3 host non-shortest varint", 3,
       byte_builder{}
           .i32(0)
           .i16(0)
           .null_cstr()
           .i32(1)
           .raw({0x82, 0x80, 0x00})
           .raw("h")
           .i32(1)
           .no_tags(),
       errc::invalid_value},
      {"v3 top-level tags out of order", 3,
       byte_builder{}.i32(0).i16(0).null_cstr().i32(1).cstr("h").i32(1).uvarint(2).tag(4, {}).tag(
           2, {}),
       errc::bad_tag_order},
      {"v3 missing tags", 3, byte_builder{}.i32(0).i16(0).null_cstr().i32(1).cstr("h").i32(1),
       errc::truncated},
      {"v4 coordinators null", 4, byte_builder{}.i32(0).null_cstr().no_tags(),
       errc::negative_length},
      {"v4 coordinators huge", 4, byte_builder{}.i32(0).uvarint(0xFFFFFFF0).no_tags(),
       errc::bad_length},
      {"v4 coordinators varint overflow", 4,
       byte_builder{}.i32(0).raw({0x80, 0x80, 0x80, 0x80, 0x10}), errc::varint_overflow},
      {"v5 key null", 5,
       byte_builder{}
           .i32(0)
           .carray(1)
           .null_cstr()
           .i32(1)
           .cstr("h")
           .i32(1)
           .i16(0)
           .null_cstr()
           .no_tags()
           .no_tags(),
       errc::negative_length},
      {"v6 entry tag size past end", 6,
       byte_builder{}
           .i32(0)
           .carray(1)
           .cstr("k")
           .i32(1)
           .cstr("h")
           .i32(1)
           .i16(0)
           .null_cstr()
           .uvarint(1)
           .uvarint(0)
           .uvarint(9)
           .no_tags(),
       errc::bad_length},
      {"v6 trailing byte", 6, byte_builder{}.i32(0).carray(0).no_tags().i8(0),
       errc::trailing_bytes},
  };
}

TEST(FindCoordinatorResponse, MalformedInputs) {
  for (const auto& c : malformed_cases()) {
    SCOPED_TRACE(c.name);
    const auto got = decode_find_coordinator_response(c.body, c.version);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, c.want) << got.error().describe();
  }
}

TEST(FindCoordinatorResponse, RewriteFailsClosedOnUnmappedNode) {
  for (std::int16_t v = 0; v <= 6; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    fc_spec s;
    s.coordinators = {{"k", 666, "secret.internal", 9092, 0, std::nullopt, false}};
    if (v >= 4)
      s.coordinators.insert(s.coordinators.begin(), {"a", 1, "a", 1, 0, std::nullopt, false});
    const built in = fc_body(v, s);
    byte_buffer out{std::byte{9}};
    const auto got = rewrite_find_coordinator_response(in.bytes, v, test_map, out);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::unmapped_node);
    EXPECT_EQ(out, byte_buffer{std::byte{9}});
    const auto none = rewrite_find_coordinator_response(in.bytes, v, address_mapper{}, out);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, errc::unmapped_node);
  }
}

TEST(FindCoordinatorResponse, UnknownVersionFailsEverywhere) {
  const byte_buffer body = byte_builder{}.i32(0).carray(0).no_tags();
  byte_buffer out;
  for (std::int16_t v : {std::int16_t{-1}, std::int16_t{7}}) {
    const auto r = rewrite_find_coordinator_response(body, v, test_map, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unknown_version);
    find_coordinator_response_view view;
    view.version = v;
    EXPECT_FALSE(encode_find_coordinator_response(view, out));
  }
  EXPECT_TRUE(out.empty());
}

// The fuzz seeds in tests/fuzz/corpus/find_coordinator_response/ are these golden vectors
// (rewrite_test_support.h).
TEST(FindCoordinatorResponse, FuzzCorpusHoldsTheGoldenVectors) {
  test::expect_fuzz_corpus_holds(
      "find_coordinator_response", golden_cases(),
      [](const golden_case& c) { return fc_body(c.version, c.spec).bytes; });
}

}  // namespace
}  // namespace kpp::protocol
