// The streamed walk over flexible Fetch responses (FetchResponse.json v12-v18, response header
// v1). Golden payloads are written by hand with byte_builder; where the top-level tagged
// section starts is known from how they were built, never from the code under test. Records
// are bytes that are not record batches: the walk must skip them by length.
#include "kpp/protocol/fetch_response_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kpp/protocol/fetch_response.h"
#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;

byte_builder header(bool with_tag) {
  byte_builder b;
  b.i32(0x0A0B0C0D);  // CorrelationId
  if (with_tag) {
    b.uvarint(1).tag(3, {0x01});  // header v1 tags: an unknown one, forwarded as is
  } else {
    b.no_tags();
  }
  return b;
}

// Responses[] of two topics; everything before the top-level tagged section.
byte_builder body_prefix(std::int16_t v) {
  byte_builder b;
  b.i32(5)         // ThrottleTimeMs
      .i16(0)      // ErrorCode
      .i32(777)    // SessionId
      .carray(2);  // Responses
  if (v >= 13) {
    b.uuid(0x11);  // [0].TopicId
  } else {
    b.cstr("events");  // [0].Topic
  }
  b.carray(2);   // [0].Partitions
  b.i32(0)       // PartitionIndex
      .i16(0)    // ErrorCode
      .i64(100)  // HighWatermark
      .i64(100)  // LastStableOffset
      .i64(0)    // LogStartOffset
      .carray(1)
      .i64(5)
      .i64(90)
      .no_tags()  // AbortedTransactions [{5, 90}]
      .i32(-1)    // PreferredReadReplica
      .uvarint(201)
      .repeat(200, 0xAB)  // Records: 200 bytes
      .no_tags();
  b.i32(1)
      .i16(6)  // NOT_LEADER_OR_FOLLOWER
      .i64(-1)
      .i64(-1)
      .i64(-1)
      .null_carray()  // AbortedTransactions null
      .i32(-1)
      .uvarint(0)  // Records null
      .uvarint(1)
      .tag(1, byte_builder{}.i32(2).i32(8).no_tags().bytes());  // CurrentLeader
  b.uvarint(1).tag(7, {0x01, 0x02});                            // [0] tags: unknown
  if (v >= 13) {
    b.uuid(0x22);
  } else {
    b.cstr("logs");
  }
  b.carray(1);
  b.i32(0)
      .i16(0)
      .i64(10)
      .i64(10)
      .i64(0)
      .carray(0)  // AbortedTransactions []
      .i32(2)     // PreferredReadReplica
      .uvarint(301)
      .repeat(300, 0x00)
      .no_tags();
  b.no_tags();  // [1] tags
  return b;
}

byte_builder upstream_endpoints() {
  return byte_builder{}
      .carray(1)
      .i32(2)
      .cstr("broker-2.internal")
      .i32(9093)
      .null_cstr()
      .no_tags();  // NodeId, Host, Port, Rack, tags
}

byte_builder tail_with_endpoints() {
  return byte_builder{}.uvarint(2).tag(0, upstream_endpoints().bytes()).tag(5, {0xaa});
}

struct golden {
  std::string name;
  std::int16_t version;
  bool header_tag;
  byte_builder tail;  // the top-level tagged section
  [[nodiscard]] std::size_t tail_offset() const {
    return header(header_tag).size() + body_prefix(version).size();
  }
  [[nodiscard]] byte_builder payload() const {
    return byte_builder{}.append(header(header_tag)).append(body_prefix(version)).append(tail);
  }
};

std::vector<golden> goldens() {
  std::vector<golden> g;
  for (std::int16_t v : {12, 13, 16}) {
    const std::string at = "v" + std::to_string(v);
    g.push_back({at + " with node endpoints", v, false, tail_with_endpoints()});
    g.push_back({at + " without tags", v, false, byte_builder{}.no_tags()});
    g.push_back(
        {at + " unknown tag and header tag", v, true, byte_builder{}.uvarint(1).tag(9, {7})});
  }
  return g;
}

struct run_result {
  byte_buffer forwarded;
  byte_buffer tail;
  bool done = false;
  std::optional<error> err;
};

// Feeds `payload` in the given chunk sizes (the last chunk takes the rest).
run_result run(bytes_view payload, std::int16_t v, const std::vector<std::size_t>& cuts,
               std::size_t tail_limit = fetch_tail_limit) {
  run_result out;
  auto s = fetch_response_stream::start(v, payload.size(), tail_limit);
  if (!s) {
    out.err = s.error();
    return out;
  }
  std::size_t at = 0;
  auto feed = [&](bytes_view chunk) {
    auto step = s->feed(chunk);
    if (!step) {
      out.err = step.error();
      return false;
    }
    EXPECT_EQ(step->taken, chunk.size());  // every byte of the frame is taken
    EXPECT_LE(step->forward, step->taken);
    out.forwarded.insert(out.forwarded.end(), chunk.begin(),
                         chunk.begin() + static_cast<std::ptrdiff_t>(step->forward));
    return true;
  };
  for (std::size_t cut : cuts) {
    cut = std::min(cut, payload.size() - at);
    if (!feed(payload.subspan(at, cut))) return out;
    at += cut;
  }
  if (!feed(payload.subspan(at))) return out;
  out.done = s->done();
  if (out.done) out.tail.assign(s->tail().begin(), s->tail().end());
  return out;
}

TEST(FetchResponseStream, GoldenPayloadsSplitAtEveryPoint) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    const auto payload = g.payload();
    const auto p = payload.view();
    const auto want_forward = p.first(g.tail_offset());
    for (std::size_t k = 0; k <= p.size(); ++k) {
      SCOPED_TRACE(k);
      const auto r = run(p, g.version, {k});
      ASSERT_FALSE(r.err) << r.err->describe();
      ASSERT_TRUE(r.done);
      ASSERT_TRUE(std::ranges::equal(r.forwarded, want_forward));
      ASSERT_EQ(r.tail, g.tail.bytes());
    }
    // Byte by byte: every field crosses a chunk boundary.
    const auto r = run(p, g.version, std::vector<std::size_t>(p.size(), 1));
    ASSERT_TRUE(r.done);
    EXPECT_TRUE(std::ranges::equal(r.forwarded, want_forward));
    EXPECT_EQ(r.tail, g.tail.bytes());
  }
}

TEST(FetchResponseStream, AgreesWithTheAssembledScan) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    const auto payload = g.payload();
    const auto head = header(g.header_tag).size();
    auto layout = scan_fetch_response(payload.view().subspan(head), g.version);
    ASSERT_TRUE(layout) << layout.error().describe();
    auto s = fetch_response_stream::start(g.version, payload.size());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->feed(payload.view()));
    ASSERT_TRUE(s->done());
    EXPECT_EQ(s->tail_offset(), head + layout->tags.section_offset);
    EXPECT_EQ(s->offset(), payload.size());
  }
}

TEST(FetchResponseStream, BytesPastTheFrameAreNotTaken) {
  const golden g{"v16", 16, false, tail_with_endpoints()};
  auto payload = g.payload();
  payload.raw({0x00, 0x00, 0x00, 0x10});  // the next frame's size
  auto s = fetch_response_stream::start(16, payload.size() - 4);
  ASSERT_TRUE(s);
  auto step = s->feed(payload.view());
  ASSERT_TRUE(step) << step.error().describe();
  EXPECT_EQ(step->taken, payload.size() - 4);
  EXPECT_EQ(step->forward, g.tail_offset());
  EXPECT_TRUE(s->done());
  // Once done, nothing more is taken.
  auto again = s->feed(payload.view().last(4));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->taken, 0u);
}

TEST(FetchResponseStream, RecordsLongerThanAnyBufferAreSkippedNotKept) {
  // 70000 bytes of records: a 3-byte length, fed in 64 KiB chunks and in odd ones.
  constexpr std::size_t big = 70000;
  auto payload = byte_builder{}
                     .append(header(false))
                     .i32(0)
                     .i16(0)
                     .i32(0)
                     .carray(1)
                     .uuid(0x33)
                     .carray(1)
                     .i32(0)
                     .i16(0)
                     .i64(0)
                     .i64(0)
                     .i64(0)
                     .null_carray()
                     .i32(-1)
                     .uvarint(big + 1)
                     .repeat(big, 0x5A)
                     .no_tags()
                     .no_tags()   // topic tags
                     .no_tags();  // top-level tags
  for (const std::size_t chunk : {std::size_t{65536}, std::size_t{4093}, std::size_t{1}}) {
    SCOPED_TRACE(chunk);
    std::vector<std::size_t> cuts((payload.size() + chunk - 1) / chunk, chunk);
    const auto r = run(payload.view(), 13, cuts);
    ASSERT_FALSE(r.err) << r.err->describe();
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.forwarded.size(), payload.size() - 1);
    EXPECT_EQ(r.tail, test::B({0x00}));
  }
}

// The splice path: the pump forwards what skippable() reports without feeding it. Walking a
// payload that way must end exactly as feeding every byte does, and never offer the tail.
TEST(FetchResponseStream, SkippedBytesCanGoUnseen) {
  constexpr std::size_t big = 70000;
  auto payload = byte_builder{}
                     .append(header(false))
                     .i32(0)
                     .i16(0)
                     .i32(0)
                     .carray(1)
                     .uuid(0x33)
                     .carray(1)
                     .i32(0)
                     .i16(0)
                     .i64(0)
                     .i64(0)
                     .i64(0)
                     .null_carray()
                     .i32(-1)
                     .uvarint(big + 1)
                     .repeat(big, 0x5A)
                     .no_tags()
                     .append(tail_with_endpoints())  // the topic's tags
                     .no_tags();                     // the top-level section
  const auto p = payload.view();
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    SCOPED_TRACE(chunk);
    auto s = fetch_response_stream::start(13, p.size());
    ASSERT_TRUE(s);
    std::size_t at = 0, unseen = 0, forwarded = 0;
    while (at < p.size()) {
      if (const auto ahead = s->skippable(); ahead > 1000) {
        ASSERT_LE(at + ahead, p.size() - 1);     // never the tail's last byte
        ASSERT_TRUE(s->skip_unseen(ahead - 3));  // part of it, then the rest fed
        unseen += ahead - 3;
        forwarded += ahead - 3;
        at += ahead - 3;
        ASSERT_EQ(s->skippable(), 3u);
        continue;
      }
      const auto step = s->feed(p.subspan(at, std::min(chunk, p.size() - at)));
      ASSERT_TRUE(step) << step.error().describe();
      forwarded += step->forward;
      at += step->taken;
    }
    ASSERT_TRUE(s->done());
    EXPECT_GE(unseen, big - 3 - chunk);  // all but what one chunk fed first
    EXPECT_EQ(forwarded, s->tail_offset());
    EXPECT_TRUE(std::ranges::equal(s->tail(), p.subspan(s->tail_offset())));
    EXPECT_EQ(s->skippable(), 0u);  // done: nothing more
    EXPECT_FALSE(s->skip_unseen(1));
  }
}

TEST(FetchResponseStream, SkipUnseenRefusesMoreThanIsSkippable) {
  const golden g{"v16", 16, false, tail_with_endpoints()};
  const auto payload = g.payload();
  auto s = fetch_response_stream::start(16, payload.size());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->skippable(), 4u);  // the correlation id: a fixed field, skipped by length
  EXPECT_FALSE(s->skip_unseen(payload.size()));
  EXPECT_TRUE(s->skip_unseen(0));
  ASSERT_TRUE(s->feed(payload.view()));
  EXPECT_TRUE(s->done());
}

TEST(FetchResponseStream, TruncationAtEveryOffsetFails) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    const auto payload = g.payload();
    for (std::size_t n = 0; n < payload.size(); ++n) {
      SCOPED_TRACE(n);
      // The frame says n bytes: whatever arrives, the walk must fail within them.
      const auto whole = run(payload.view().first(n), g.version, {});
      ASSERT_TRUE(whole.err.has_value());
      EXPECT_FALSE(whole.done);
      EXPECT_LE(whole.err->offset, n);
      const auto bytewise = run(payload.view().first(n), g.version, std::vector<std::size_t>(n, 1));
      ASSERT_TRUE(bytewise.err.has_value());
      EXPECT_EQ(*bytewise.err, *whole.err);  // found at the same place, however it arrives
    }
  }
}

struct bad_case {
  std::string name;
  std::int16_t version;
  byte_builder payload;
  errc code;
  std::size_t tail_limit = fetch_tail_limit;
};

// Header and ThrottleTimeMs, ErrorCode, SessionId: where Responses[] starts.
byte_builder head_of() {
  return byte_builder{}.append(header(false)).i32(0).i16(0).i32(0);
}

TEST(FetchResponseStream, MalformedInputIsAnError) {
  std::vector<bad_case> cases;
  for (std::int16_t v : {12, 13, 16}) {
    const std::string at = " v" + std::to_string(v);
    const auto prefix = byte_builder{}.append(header(false)).append(body_prefix(v));
    const auto topic = v >= 13 ? byte_builder{}.uuid(1) : byte_builder{}.cstr("t");
    cases.push_back({"null responses" + at, v, byte_builder{}.append(head_of()).uvarint(0),
                     errc::negative_length});
    cases.push_back({"topic count beyond the bytes" + at, v,
                     byte_builder{}.append(head_of()).carray(4000000).repeat(40, 0),
                     errc::bad_length});
    cases.push_back(
        {"partition count beyond the bytes" + at, v,
         byte_builder{}.append(head_of()).carray(1).append(topic).carray(3).repeat(60, 0),
         errc::bad_length});
    cases.push_back({"records length beyond the frame" + at, v,
                     byte_builder{}
                         .append(head_of())
                         .carray(1)
                         .append(topic)
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
    cases.push_back({"aborted count beyond the bytes" + at, v,
                     byte_builder{}
                         .append(head_of())
                         .carray(1)
                         .append(topic)
                         .carray(1)
                         .i32(0)
                         .i16(0)
                         .i64(0)
                         .i64(0)
                         .i64(0)
                         .carray(50)
                         .repeat(60, 0),
                     errc::bad_length});
    cases.push_back({"non-shortest topic count" + at, v,
                     byte_builder{}.append(head_of()).raw({0x81, 0x00}).no_tags(),
                     errc::invalid_value});
    cases.push_back(
        {"varint overflow" + at, v,
         byte_builder{}.append(head_of()).raw({0xff, 0xff, 0xff, 0xff, 0x7f}).repeat(10, 0),
         errc::varint_overflow});
    cases.push_back({"duplicate top-level tag" + at, v,
                     byte_builder{}.append(prefix).uvarint(2).tag(5, {0x01}).tag(5, {0x01}),
                     errc::bad_tag_order});
    cases.push_back({"bytes after the top-level tags" + at, v,
                     byte_builder{}.append(prefix).no_tags().raw({0x00}), errc::trailing_bytes});
    cases.push_back({"tagged field past the frame" + at, v,
                     byte_builder{}.append(prefix).uvarint(1).uvarint(5).uvarint(9).raw({1, 2}),
                     errc::bad_length});
    cases.push_back({"top-level tags over the limit" + at, v,
                     byte_builder{}.append(prefix).append(tail_with_endpoints()), errc::bad_length,
                     16});
  }
  cases.push_back({"null topic name v12", 12,
                   byte_builder{}.append(head_of()).carray(1).uvarint(0).repeat(40, 0),
                   errc::negative_length});
  cases.push_back({"header tag count beyond the bytes", 16,
                   byte_builder{}.i32(1).uvarint(100).repeat(20, 0), errc::bad_length});
  cases.push_back({"non-flexible v11", 11, byte_builder{}.append(head_of()).carray(0).no_tags(),
                   errc::unknown_version});
  cases.push_back({"future v19", 19, byte_builder{}.append(head_of()).carray(0).no_tags(),
                   errc::unknown_version});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = run(c.payload.view(), c.version, {}, c.tail_limit);
    ASSERT_TRUE(r.err.has_value());
    EXPECT_EQ(r.err->code, c.code) << r.err->describe();
    EXPECT_FALSE(r.done);
    const auto bytewise = run(c.payload.view(), c.version,
                              std::vector<std::size_t>(c.payload.size(), 1), c.tail_limit);
    ASSERT_TRUE(bytewise.err.has_value());
    EXPECT_EQ(*bytewise.err, *r.err);
  }
}

TEST(FetchResponseStream, AnErrorIsSticky) {
  const auto payload = byte_builder{}.append(head_of()).uvarint(0);
  auto s = fetch_response_stream::start(13, payload.size());
  ASSERT_TRUE(s);
  auto first = s->feed(payload.view());
  ASSERT_FALSE(first);
  auto again = s->feed(payload.view());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), first.error());
}

TEST(FetchResponseStream, SeedCorpusHoldsTheGoldenPayloads) {
  struct seed {
    std::string name;
    std::int16_t version;
    byte_buffer payload;
  };
  std::vector<seed> seeds;
  for (const auto& g : goldens()) seeds.push_back({g.name, g.version, g.payload().bytes()});
  test::expect_fuzz_corpus_holds("fetch_stream", seeds, [](const seed& s) { return s.payload; });
}

}  // namespace
}  // namespace kpp::protocol
