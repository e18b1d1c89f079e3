// wire_reader against hand-written byte vectors: every primitive, its boundary values, and a
// malformed-input table (truncation at every byte, bad lengths, long varints), each checking
// the error code, the offset and the field name.
#include "kpp/protocol/wire_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

void expect_error(const wire_reader& r, errc code, std::size_t offset, std::string_view field) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, code) << r.err().describe();
  EXPECT_EQ(r.err().offset, offset) << r.err().describe();
  EXPECT_EQ(r.err().field, field) << r.err().describe();
}

TEST(WireReader, FixedWidthIntegersAreBigEndian) {
  const auto buf = B({0x80,                                            // i8
                      0x80, 0x00,                                      // i16
                      0x7f, 0xff,                                      // i16
                      0xff, 0xfe,                                      // u16
                      0x12, 0x34, 0x56, 0x78,                          // i32
                      0xff, 0xff, 0xff, 0xff,                          // i32
                      0xff, 0xff, 0xff, 0xff,                          // u32
                      0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // i64
                      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // i64
                      0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // f64 1.0
                      0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // f64 -2.0
                      0x00, 0x01, 0x02});                              // booleans
  wire_reader r{buf};
  EXPECT_EQ(r.i8("a"), -128);
  EXPECT_EQ(r.i16("b"), -32768);
  EXPECT_EQ(r.i16("c"), 32767);
  EXPECT_EQ(r.u16("d"), 65534);
  EXPECT_EQ(r.i32("e"), 0x12345678);
  EXPECT_EQ(r.i32("f"), -1);
  EXPECT_EQ(r.u32("g"), 4294967295u);
  EXPECT_EQ(r.i64("h"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(r.i64("i"), 0x0102030405060708);
  EXPECT_EQ(r.f64("j"), 1.0);
  EXPECT_EQ(r.f64("k"), -2.0);
  EXPECT_FALSE(r.boolean("l"));
  EXPECT_TRUE(r.boolean("m"));
  EXPECT_TRUE(r.boolean("n"));  // Kafka reads any non-zero byte as true
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.expect_end());
}

struct uvarint_case {
  std::vector<std::byte> bytes;
  std::uint32_t value;
};

TEST(WireReader, UnsignedVarintBoundaries) {
  const std::vector<uvarint_case> cases = {
      {B({0x00}), 0},
      {B({0x01}), 1},
      {B({0x7f}), 127},
      {B({0x80, 0x01}), 128},
      {B({0xff, 0x7f}), 16383},
      {B({0x80, 0x80, 0x01}), 16384},
      {B({0xff, 0xff, 0x7f}), 2097151},
      {B({0x80, 0x80, 0x80, 0x01}), 2097152},
      {B({0xff, 0xff, 0xff, 0x7f}), 268435455},
      {B({0x80, 0x80, 0x80, 0x80, 0x01}), 268435456},
      {B({0xff, 0xff, 0xff, 0xff, 0x0f}), 4294967295u},
      {B({0x80, 0x00}), 0},  // non-minimal encodings are accepted, as Kafka's reader does
  };
  for (const auto& c : cases) {
    wire_reader r{c.bytes};
    EXPECT_EQ(r.uvarint("v"), c.value);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.offset(), c.bytes.size()) << c.value;
  }
}

TEST(WireReader, ZigZagVarint) {
  const std::vector<std::pair<std::vector<std::byte>, std::int32_t>> cases = {
      {B({0x00}), 0},
      {B({0x01}), -1},
      {B({0x02}), 1},
      {B({0x03}), -2},
      {B({0x7f}), -64},
      {B({0x80, 0x01}), 64},
      {B({0xfe, 0xff, 0xff, 0xff, 0x0f}), 2147483647},
      {B({0xff, 0xff, 0xff, 0xff, 0x0f}), -2147483647 - 1},
  };
  for (const auto& [bytes, value] : cases) {
    wire_reader r{bytes};
    EXPECT_EQ(r.varint("v"), value);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.offset(), bytes.size());
  }
}

TEST(WireReader, ZigZagVarlong) {
  const std::vector<std::pair<std::vector<std::byte>, std::int64_t>> cases = {
      {B({0x00}), 0},
      {B({0x01}), -1},
      {B({0x02}), 1},
      {B({0x80, 0x01}), 64},
      {B({0xfe, 0xff, 0xff, 0xff, 0x0f}), 2147483647},
      {B({0x80, 0x80, 0x80, 0x80, 0x10}), 2147483648},
      {B({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
       std::numeric_limits<std::int64_t>::max()},
      {B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
       std::numeric_limits<std::int64_t>::min()},
  };
  for (const auto& [bytes, value] : cases) {
    wire_reader r{bytes};
    EXPECT_EQ(r.varlong("v"), value);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.offset(), bytes.size());
  }
}

TEST(WireReader, Uuid) {
  const auto buf = B({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                      0x0d, 0x0e, 0x0f});
  wire_reader r{buf};
  const uuid u = r.read_uuid("topic_id");
  ASSERT_TRUE(r.ok());
  for (std::size_t i = 0; i < u.size(); ++i) EXPECT_EQ(u[i], static_cast<std::byte>(i));
}

TEST(WireReader, ClassicStrings) {
  const auto buf = B({0x00, 0x03, 'a', 'b', 'c',  // "abc"
                      0x00, 0x00,                 // ""
                      0xff, 0xff,                 // null
                      0x00, 0x01, 'z'});          // "z" read as nullable
  wire_reader r{buf};
  EXPECT_EQ(r.string(false, "s1"), "abc");
  EXPECT_EQ(r.string(false, "s2"), "");
  EXPECT_EQ(r.nullable_string(false, "s3"), std::nullopt);
  EXPECT_EQ(r.nullable_string(false, "s4"), std::optional<std::string_view>("z"));
  EXPECT_TRUE(r.expect_end());
}

TEST(WireReader, CompactStrings) {
  const auto buf = B({0x04, 'a', 'b', 'c',  // "abc": length 3 + 1
                      0x01,                 // ""
                      0x00,                 // null
                      0x02, 'z'});
  wire_reader r{buf};
  EXPECT_EQ(r.string(true, "s1"), "abc");
  EXPECT_EQ(r.string(true, "s2"), "");
  EXPECT_EQ(r.nullable_string(true, "s3"), std::nullopt);
  EXPECT_EQ(r.nullable_string(true, "s4"), std::optional<std::string_view>("z"));
  EXPECT_TRUE(r.expect_end());
}

TEST(WireReader, LongCompactStringUsesTwoByteLength) {
  std::vector<std::byte> buf = B({0x81, 0x01});  // 129 = length 128 + 1
  buf.resize(2 + 128, std::byte{'x'});
  wire_reader r{buf};
  EXPECT_EQ(r.string(true, "s"), std::string(128, 'x'));
  EXPECT_TRUE(r.expect_end());
}

TEST(WireReader, BytesClassicAndCompact) {
  const auto buf = B({0x00, 0x00, 0x00, 0x02, 0xde, 0xad,  // classic, 2 bytes
                      0xff, 0xff, 0xff, 0xff,              // classic null
                      0x00, 0x00, 0x00, 0x00,              // classic empty
                      0x03, 0xbe, 0xef,                    // compact, 2 bytes
                      0x00,                                // compact null
                      0x01});                              // compact empty
  wire_reader r{buf};
  auto b1 = r.bytes(false, "b1");
  ASSERT_EQ(b1.size(), 2u);
  EXPECT_EQ(b1[0], std::byte{0xde});
  EXPECT_EQ(b1.data(), buf.data() + 4);  // a view into the buffer, not a copy
  EXPECT_EQ(r.nullable_bytes(false, "b2"), std::nullopt);
  auto b3 = r.nullable_bytes(false, "b3");
  ASSERT_TRUE(b3.has_value());
  EXPECT_TRUE(b3->empty());
  auto b4 = r.bytes(true, "b4");
  ASSERT_EQ(b4.size(), 2u);
  EXPECT_EQ(b4[1], std::byte{0xef});
  EXPECT_EQ(r.nullable_bytes(true, "b5"), std::nullopt);
  EXPECT_TRUE(r.bytes(true, "b6").empty());
  EXPECT_TRUE(r.expect_end());
}

TEST(WireReader, ArrayLengths) {
  {
    const auto buf = B({0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb});
    wire_reader r{buf};
    EXPECT_EQ(r.array_length(false, 1, "a"), std::optional<std::uint32_t>(2));
    EXPECT_TRUE(r.ok());
  }
  {
    const auto buf = B({0xff, 0xff, 0xff, 0xff});
    wire_reader r{buf};
    EXPECT_EQ(r.array_length(false, 4, "a", /*nullable=*/true), std::nullopt);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.expect_end());
  }
  {
    const auto buf = B({0x03, 0xaa, 0xbb, 0xcc, 0xdd});  // compact: 2 elements
    wire_reader r{buf};
    EXPECT_EQ(r.array_length(true, 2, "a"), std::optional<std::uint32_t>(2));
    EXPECT_TRUE(r.ok());
  }
  {
    const auto buf = B({0x00});  // compact null
    wire_reader r{buf};
    EXPECT_EQ(r.array_length(true, 1, "a", true), std::nullopt);
    EXPECT_TRUE(r.ok());
  }
  {
    const auto buf = B({0x01});  // compact empty array, nothing left: fine
    wire_reader r{buf};
    EXPECT_EQ(r.array_length(true, 100, "a"), std::optional<std::uint32_t>(0));
    EXPECT_TRUE(r.ok());
  }
}

TEST(WireReader, SinceRawSkip) {
  const auto buf = B({0x01, 0x02, 0x03, 0x04, 0x05});
  wire_reader r{buf};
  EXPECT_TRUE(r.skip(1, "skip"));
  const std::size_t from = r.offset();
  auto v = r.raw(3, "raw");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], std::byte{0x02});
  auto walked = r.since(from);
  EXPECT_EQ(walked.data(), buf.data() + 1);
  EXPECT_EQ(walked.size(), 3u);
  EXPECT_TRUE(r.since(99).empty());
  EXPECT_TRUE(r.enough(1, "x"));
  EXPECT_FALSE(r.enough(2, "x"));
  expect_error(r, errc::truncated, 4, "x");
}

// --- malformed input -------------------------------------------------------------------

struct bad_case {
  const char* name;
  std::vector<std::byte> bytes;
  int prefix;  // bytes consumed by an i8 read before the field (to check offsets move)
  enum kind { uvar, var, varl, cstr, str, nstr, byt, cbyt, arr, carr, arr_null } what;
  errc code;
  std::size_t offset;
};

void read_one(wire_reader& r, bad_case::kind k) {
  switch (k) {
    case bad_case::uvar:
      (void)r.uvarint("f");
      break;
    case bad_case::var:
      (void)r.varint("f");
      break;
    case bad_case::varl:
      (void)r.varlong("f");
      break;
    case bad_case::cstr:
      (void)r.string(true, "f");
      break;
    case bad_case::str:
      (void)r.string(false, "f");
      break;
    case bad_case::nstr:
      (void)r.nullable_string(false, "f");
      break;
    case bad_case::byt:
      (void)r.bytes(false, "f");
      break;
    case bad_case::cbyt:
      (void)r.nullable_bytes(true, "f");
      break;
    case bad_case::arr:
      (void)r.array_length(false, 1, "f");
      break;
    case bad_case::carr:
      (void)r.array_length(true, 4, "f");
      break;
    case bad_case::arr_null:
      (void)r.array_length(false, 1, "f", /*nullable=*/false);
      break;
  }
}

TEST(WireReader, MalformedTable) {
  const std::vector<bad_case> cases = {
      {"uvarint 6 bytes", B({0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), 0, bad_case::uvar,
       errc::varint_overflow, 0},
      {"uvarint 5th byte above 32 bits", B({0x09, 0xff, 0xff, 0xff, 0xff, 0x10}), 1, bad_case::uvar,
       errc::varint_overflow, 1},
      {"uvarint truncated", B({0x09, 0x80, 0x80}), 1, bad_case::uvar, errc::truncated, 1},
      {"varint 6 bytes", B({0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), 0, bad_case::var,
       errc::varint_overflow, 0},
      {"varlong 11 bytes", B({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), 0,
       bad_case::varl, errc::varint_overflow, 0},
      {"varlong 10th byte above 64 bits",
       B({0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}), 1, bad_case::varl,
       errc::varint_overflow, 1},
      {"compact string null where required", B({0x00}), 0, bad_case::cstr, errc::negative_length,
       0},
      {"compact string longer than input", B({0x07, 0x05, 'a', 'b'}), 1, bad_case::cstr,
       errc::bad_length, 1},
      {"compact string length 2^32-2", B({0xff, 0xff, 0xff, 0xff, 0x0f, 'a'}), 0, bad_case::cstr,
       errc::bad_length, 0},
      {"string null where required", B({0xff, 0xff}), 0, bad_case::str, errc::negative_length, 0},
      {"string length -2", B({0x01, 0xff, 0xfe}), 1, bad_case::nstr, errc::negative_length, 1},
      {"string length -32768", B({0x80, 0x00}), 0, bad_case::nstr, errc::negative_length, 0},
      {"string longer than input", B({0x00, 0x04, 'a', 'b', 'c'}), 0, bad_case::str,
       errc::bad_length, 0},
      {"string length cut", B({0x00, 0x00}), 1, bad_case::str, errc::truncated, 1},
      {"bytes length -2", B({0xff, 0xff, 0xff, 0xfe}), 0, bad_case::byt, errc::negative_length, 0},
      {"bytes length INT32_MIN", B({0x80, 0x00, 0x00, 0x00}), 0, bad_case::byt,
       errc::negative_length, 0},
      {"bytes null where required", B({0xff, 0xff, 0xff, 0xff}), 0, bad_case::byt,
       errc::negative_length, 0},
      {"bytes longer than input", B({0x00, 0x00, 0x00, 0x00, 0x10, 0x01}), 1, bad_case::byt,
       errc::bad_length, 1},
      {"compact bytes longer than input", B({0x03, 0x01}), 0, bad_case::cbyt, errc::bad_length, 0},
      {"array huge count", B({0x7f, 0xff, 0xff, 0xff, 0x01}), 0, bad_case::arr, errc::bad_length,
       0},
      {"array count -2", B({0xff, 0xff, 0xff, 0xfe}), 0, bad_case::arr, errc::negative_length, 0},
      {"array null where required", B({0x00, 0xff, 0xff, 0xff, 0xff}), 1, bad_case::arr_null,
       errc::negative_length, 1},
      {"array count one more than fits", B({0x00, 0x00, 0x00, 0x03, 0x01, 0x02}), 0, bad_case::arr,
       errc::bad_length, 0},
      // min element size 4: 2 elements need 8 bytes, 7 remain
      {"compact array elements do not fit", B({0x03, 1, 2, 3, 4, 5, 6, 7}), 0, bad_case::carr,
       errc::bad_length, 0},
      {"compact array huge count", B({0xff, 0xff, 0xff, 0xff, 0x0f}), 0, bad_case::carr,
       errc::bad_length, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    wire_reader r{c.bytes};
    for (int i = 0; i < c.prefix; ++i) (void)r.i8("prefix");
    ASSERT_TRUE(r.ok());
    read_one(r, c.what);
    expect_error(r, c.code, c.offset, "f");
  }
}

TEST(WireReader, ArrayCountTimesElementSizeDoesNotOverflow) {
  const auto buf = B({0x00, 0x00, 0x00, 0x02, 0x00});
  wire_reader r{buf};
  EXPECT_EQ(r.array_length(false, std::numeric_limits<std::size_t>::max(), "a"), std::nullopt);
  expect_error(r, errc::bad_length, 0, "a");
}

TEST(WireReader, ZeroElementSizeStillBoundsTheCount) {
  const auto buf = B({0x00, 0x00, 0x00, 0x05, 0x00});  // 5 elements, 1 byte left
  wire_reader r{buf};
  EXPECT_EQ(r.array_length(false, 0, "a"), std::nullopt);
  expect_error(r, errc::bad_length, 0, "a");
}

TEST(WireReader, FirstFailureIsSticky) {
  const auto buf = B({0x00, 0x06, 'a', 0x00, 0x00, 0x00, 0x01});  // 6 announced, 5 left
  wire_reader r{buf};
  EXPECT_EQ(r.string(false, "name"), "");
  expect_error(r, errc::bad_length, 0, "name");
  EXPECT_EQ(r.offset(), 0u);  // nothing consumed by the failed read
  // Later reads return zero values and keep the first error.
  EXPECT_EQ(r.i16("later"), 0);
  EXPECT_EQ(r.i32("later"), 0);
  EXPECT_EQ(r.uvarint("later"), 0u);
  EXPECT_EQ(r.nullable_string(true, "later"), std::nullopt);
  EXPECT_EQ(r.array_length(false, 1, "later", true), std::nullopt);
  EXPECT_TRUE(r.raw(1, "later").empty());
  EXPECT_FALSE(r.skip(1, "later"));
  EXPECT_FALSE(r.expect_end());
  EXPECT_FALSE(r.fail(errc::invalid_value, "later"));
  expect_error(r, errc::bad_length, 0, "name");
}

TEST(WireReader, ExpectEndReportsTrailingBytes) {
  const auto buf = B({0x00, 0x01, 0x02});
  wire_reader r{buf};
  (void)r.i16("x");
  EXPECT_FALSE(r.expect_end());
  expect_error(r, errc::trailing_bytes, 2, "end of message");
}

// One of each primitive back to back; cutting the input at every byte must fail at the start
// of the field the cut falls in: `truncated` when the cut is inside a fixed-size value, a
// varint or a length prefix, `bad_length` when it is inside the bytes a length announced.
TEST(WireReader, TruncationAtEveryByte) {
  struct field {
    const char* name;
    std::size_t start;
    std::size_t prefix;  // length-prefix size; 0 = not length-prefixed
  };
  const auto buf = B({
      0x7f,                                            // 0  i8
      0x01, 0x02,                                      // 1  i16
      0x01, 0x02, 0x03, 0x04,                          // 3  i32
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // 7  i64
      0xac, 0x02,                                      // 15 uvarint 300
      0x80, 0x80, 0x04,                                // 17 varint
      0x00, 0x02, 'h',  'i',                           // 20 string "hi"
      0x03, 'y',  'o',                                 // 24 compact string "yo"
      0x00, 0x00, 0x00, 0x01, 0xee,                    // 27 bytes
      0x00, 0x00, 0x00, 0x01,                          // 32 array of 1 (min size 1)
      0xab,                                            // 36 element
  });
  const std::vector<field> fields = {{"i8", 0, 0},     {"i16", 1, 0},      {"i32", 3, 0},
                                     {"i64", 7, 0},    {"uvarint", 15, 0}, {"varint", 17, 0},
                                     {"str", 20, 2},   {"cstr", 24, 1},    {"bytes", 27, 4},
                                     {"array", 32, 4}, {"elem", 36, 0}};
  auto read_all = [](wire_reader& r) {
    (void)r.i8("i8");
    (void)r.i16("i16");
    (void)r.i32("i32");
    (void)r.i64("i64");
    (void)r.uvarint("uvarint");
    (void)r.varint("varint");
    (void)r.string(false, "str");
    (void)r.string(true, "cstr");
    (void)r.bytes(false, "bytes");
    (void)r.array_length(false, 1, "array");
    (void)r.i8("elem");
  };
  {
    wire_reader whole{buf};
    read_all(whole);
    ASSERT_TRUE(whole.ok());
    ASSERT_TRUE(whole.expect_end());
  }
  for (std::size_t cut = 0; cut < buf.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    // The field the cut falls in: the last one starting at or before it.
    const field* f = &fields.front();
    for (const auto& candidate : fields) {
      if (candidate.start <= cut) f = &candidate;
    }
    const bool in_body = f->prefix != 0 && cut >= f->start + f->prefix;
    // An array's count is checked against what remains: a cut anywhere after its prefix
    // leaves the element missing, which the count check catches as bad_length.
    wire_reader r{bytes_view{buf}.first(cut)};
    read_all(r);
    std::string_view name = f->name;
    errc code = in_body ? errc::bad_length : errc::truncated;
    if (std::string_view{f->name} == "elem") {  // only the element is missing
      name = "array";
      code = errc::bad_length;
    }
    const std::size_t offset = name == "array" ? 32 : f->start;
    expect_error(r, code, offset, name);
  }
}

TEST(WireReader, DescribeNamesCodeOffsetAndField) {
  const error e{errc::truncated, 17, "brokers[].host"};
  EXPECT_EQ(e.describe(), "truncated at offset 17 reading brokers[].host");
  EXPECT_EQ(to_string(errc::unmapped_node), "unmapped node");
}

}  // namespace
}  // namespace kpp::protocol
