// splice_response: a rewritten response costs a buffer the size of its change. Produce (and
// Fetch, ShareFetch, ShareAcknowledge) change only NodeEndpoints, so however large the
// response, the new bytes are that array; an unchanged response allocates nothing.
#include <gtest/gtest.h>

#include <string>

#include "kpp/protocol/response_rewriter.h"
#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::proxy_map;

// A Produce v11 response of `partitions` partitions, each with a long error message (so the
// response is large), and NodeEndpoints for node 4 when `with_endpoints`.
byte_buffer big_produce_v11(std::uint32_t partitions, bool with_endpoints) {
  const std::string message(200, 'm');
  byte_builder b;
  b.i32(7).uvarint(0);  // header v1: CorrelationId, no tags
  b.carray(1).cstr("t").carray(partitions);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    b.i32(static_cast<std::int32_t>(p))
        .i16(6)
        .i64(-1)
        .i64(-1)
        .i64(-1)
        .carray(0)
        .cstr(message)
        .no_tags();
  }
  b.no_tags().i32(0);  // topic tags, ThrottleTimeMs
  if (with_endpoints) {
    b.uvarint(1).tag(0, byte_builder{}
                            .carray(1)
                            .i32(4)
                            .cstr("k4.internal")
                            .i32(9092)
                            .null_cstr()
                            .no_tags()
                            .bytes());
  } else {
    b.no_tags();
  }
  return std::move(b).bytes();
}

byte_buffer joined(bytes_view payload, const response_splice& s, const byte_buffer& out) {
  byte_buffer all(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(s.head));
  all.insert(all.end(), out.begin(), out.end());
  all.insert(all.end(), payload.end() - static_cast<std::ptrdiff_t>(s.tail), payload.end());
  return all;
}

TEST(ResponseSplice, BigProduceResponseAllocatesOnlyItsNodeEndpoints) {
  const auto in = big_produce_v11(5000, true);  // about 1.2 MB
  ASSERT_GT(in.size(), 1'000'000u);
  byte_buffer out;
  auto s = splice_response(response_action::produce, 0, 11, in, proxy_map, out);
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_TRUE(s->stats.changed);
  EXPECT_EQ(s->stats.addresses, 1u);
  EXPECT_LT(out.size(), 64u);  // the tag entry: number, size, one endpoint
  EXPECT_LT(out.capacity(), 1024u);
  EXPECT_LT(in.size() - s->head - s->tail, 64u);  // the input's entry it replaces
  // The pieces are exactly what rewrite_response writes whole.
  byte_buffer whole;
  auto w = rewrite_response(response_action::produce, 0, 11, in, proxy_map, whole);
  ASSERT_TRUE(w) << w.error().describe();
  EXPECT_EQ(joined(in, *s, out), whole);
  const std::string text(reinterpret_cast<const char*>(out.data()), out.size());
  EXPECT_NE(text.find("b4.proxy.test"), std::string::npos);
}

TEST(ResponseSplice, UnchangedResponseAllocatesNothing) {
  const auto in = big_produce_v11(5000, false);
  byte_buffer out;
  auto s = splice_response(response_action::produce, 0, 11, in, proxy_map, out);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_FALSE(s->stats.changed);
  EXPECT_EQ(out.capacity(), 0u);
  EXPECT_EQ(s->head, in.size());
  EXPECT_EQ(s->tail, 0u);
}

TEST(ResponseSplice, WholeBodyRewriteKeepsTheHeaderFromTheInput) {
  // Metadata v12: header v1 with an unknown tag, then one broker.
  const auto in = byte_builder{}
                      .i32(0x01020304)
                      .uvarint(1)
                      .tag(9, {0x5a})
                      .i32(0)
                      .carray(1)
                      .i32(1)
                      .cstr("k1.internal")
                      .i32(9092)
                      .null_cstr()
                      .no_tags()
                      .cstr("cluster")
                      .i32(1)
                      .carray(0)
                      .no_tags()
                      .bytes();
  byte_buffer out;
  auto s = splice_response(response_action::metadata, 3, 12, in, proxy_map, out);
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_TRUE(s->stats.changed);
  EXPECT_EQ(s->head, 8u);  // CorrelationId 4, tag count 1, tag 9 of one byte 3
  EXPECT_EQ(s->tail, 0u);
  byte_buffer whole;
  ASSERT_TRUE(rewrite_response(response_action::metadata, 3, 12, in, proxy_map, whole));
  EXPECT_EQ(joined(in, *s, out), whole);
}

TEST(ResponseSplice, ErrorsLeaveOutUntouched) {
  auto in = big_produce_v11(3, true);
  in.push_back(std::byte{0});  // trailing byte
  byte_buffer out{std::byte{0x42}};
  auto s = splice_response(response_action::produce, 0, 11, in, proxy_map, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::trailing_bytes);
  EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
}

}  // namespace
}  // namespace kpp::protocol
