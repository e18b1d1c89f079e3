// wire_writer against hand-written byte vectors (the same encodings wire_reader_test reads),
// plus reader/writer agreement at the boundaries of every variable-length encoding.
#include "kpp/protocol/wire_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kpp/protocol/wire_reader.h"
#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

TEST(WireWriter, FixedWidthIntegers) {
  byte_buffer out;
  wire_writer w{out};
  w.i8(-128);
  w.i16(-32768);
  w.u16(65534);
  w.i32(0x12345678);
  w.u32(4294967295u);
  w.i64(std::numeric_limits<std::int64_t>::min());
  w.i64(0x0102030405060708);
  w.boolean(false);
  w.boolean(true);
  EXPECT_EQ(out, B({0x80, 0x80, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78, 0xff, 0xff,
                    0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x01}));
  EXPECT_EQ(w.size(), out.size());
}

TEST(WireWriter, UnsignedVarintBoundaries) {
  const std::vector<std::pair<std::uint32_t, std::vector<std::byte>>> cases = {
      {0, B({0x00})},
      {127, B({0x7f})},
      {128, B({0x80, 0x01})},
      {300, B({0xac, 0x02})},
      {16383, B({0xff, 0x7f})},
      {16384, B({0x80, 0x80, 0x01})},
      {2097151, B({0xff, 0xff, 0x7f})},
      {2097152, B({0x80, 0x80, 0x80, 0x01})},
      {268435455, B({0xff, 0xff, 0xff, 0x7f})},
      {268435456, B({0x80, 0x80, 0x80, 0x80, 0x01})},
      {4294967295u, B({0xff, 0xff, 0xff, 0xff, 0x0f})},
  };
  for (const auto& [value, bytes] : cases) {
    byte_buffer out;
    wire_writer w{out};
    w.uvarint(value);
    EXPECT_EQ(out, bytes) << value;
    EXPECT_EQ(uvarint_size(value), bytes.size()) << value;
  }
}

TEST(WireWriter, ZigZagVarintAndVarlong) {
  const std::vector<std::pair<std::int32_t, std::vector<std::byte>>> ints = {
      {0, B({0x00})},
      {-1, B({0x01})},
      {1, B({0x02})},
      {-64, B({0x7f})},
      {64, B({0x80, 0x01})},
      {2147483647, B({0xfe, 0xff, 0xff, 0xff, 0x0f})},
      {-2147483647 - 1, B({0xff, 0xff, 0xff, 0xff, 0x0f})},
  };
  for (const auto& [value, bytes] : ints) {
    byte_buffer out;
    wire_writer{out}.varint(value);
    EXPECT_EQ(out, bytes) << value;
  }
  const std::vector<std::pair<std::int64_t, std::vector<std::byte>>> longs = {
      {0, B({0x00})},
      {-1, B({0x01})},
      {2147483648, B({0x80, 0x80, 0x80, 0x80, 0x10})},
      {std::numeric_limits<std::int64_t>::max(),
       B({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
      {std::numeric_limits<std::int64_t>::min(),
       B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
  };
  for (const auto& [value, bytes] : longs) {
    byte_buffer out;
    wire_writer{out}.varlong(value);
    EXPECT_EQ(out, bytes) << value;
  }
}

TEST(WireWriter, StringsBytesArraysAndNulls) {
  byte_buffer out;
  wire_writer w{out};
  w.string("abc", false);
  w.string("abc", true);
  w.nullable_string(std::nullopt, false);
  w.nullable_string(std::nullopt, true);
  w.nullable_string("", true);
  const auto payload = B({0xde, 0xad});
  w.bytes(payload, false);
  w.bytes(payload, true);
  w.nullable_bytes(std::nullopt, false);
  w.nullable_bytes(std::nullopt, true);
  w.array_length(2, false);
  w.array_length(2, true);
  w.array_length(std::nullopt, false);
  w.array_length(std::nullopt, true);
  w.array_length(0, true);
  EXPECT_EQ(out, B({0x00, 0x03, 'a',  'b',  'c',         // classic string
                    0x04, 'a',  'b',  'c',               // compact string
                    0xff, 0xff,                          // classic null string
                    0x00,                                // compact null string
                    0x01,                                // compact empty string
                    0x00, 0x00, 0x00, 0x02, 0xde, 0xad,  // classic bytes
                    0x03, 0xde, 0xad,                    // compact bytes
                    0xff, 0xff, 0xff, 0xff,              // classic null bytes
                    0x00,                                // compact null bytes
                    0x00, 0x00, 0x00, 0x02,              // classic array of 2
                    0x03,                                // compact array of 2
                    0xff, 0xff, 0xff, 0xff,              // classic null array
                    0x00,                                // compact null array
                    0x01}));                             // compact empty array
}

TEST(WireWriter, UuidAndRaw) {
  uuid u{};
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::byte>(0xf0 + i);
  byte_buffer out;
  wire_writer w{out};
  w.write_uuid(u);
  w.raw(B({0x01, 0x02}));
  ASSERT_EQ(out.size(), 18u);
  EXPECT_EQ(out[0], std::byte{0xf0});
  EXPECT_EQ(out[15], std::byte{0xff});
  EXPECT_EQ(out[17], std::byte{0x02});
}

TEST(WireWriter, PatchI32OverwritesInPlace) {
  byte_buffer out = B({0xaa});
  wire_writer w{out};
  w.i32(0);
  w.i8(0x55);
  w.patch_i32(1, 0x01020304);
  EXPECT_EQ(out, B({0xaa, 0x01, 0x02, 0x03, 0x04, 0x55}));
  EXPECT_THROW(w.patch_i32(3, 1), std::length_error);
}

TEST(WireWriter, AppendsToExistingBuffer) {
  byte_buffer out = B({0x09});
  wire_writer w{out};
  w.i16(1);
  EXPECT_EQ(out, B({0x09, 0x00, 0x01}));
}

TEST(WireWriter, OversizedClassicStringIsRejected) {
  byte_buffer out;
  wire_writer w{out};
  const std::string max(32767, 'x');
  w.string(max, false);
  EXPECT_EQ(out.size(), 2u + 32767u);
  EXPECT_EQ(out[0], std::byte{0x7f});
  EXPECT_THROW(w.string(std::string(32768, 'x'), false), std::length_error);
}

// The reader reads back exactly what the writer wrote at every encoding boundary.
TEST(WireWriter, ReaderAgreesAtBoundaries) {
  const std::vector<std::uint32_t> u32s = {
      0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 4294967295u};
  const std::vector<std::int32_t> i32s = {0, -1, 1, -64, 63, 64, -65, 2147483647, -2147483647 - 1};
  const std::vector<std::int64_t> i64s = {0,
                                          -1,
                                          1,
                                          std::numeric_limits<std::int64_t>::max(),
                                          std::numeric_limits<std::int64_t>::min(),
                                          1LL << 35};
  byte_buffer out;
  wire_writer w{out};
  for (auto v : u32s) w.uvarint(v);
  for (auto v : i32s) w.varint(v);
  for (auto v : i64s) w.varlong(v);
  wire_reader r{out};
  for (auto v : u32s) EXPECT_EQ(r.uvarint("u"), v);
  for (auto v : i32s) EXPECT_EQ(r.varint("i"), v);
  for (auto v : i64s) EXPECT_EQ(r.varlong("l"), v);
  EXPECT_TRUE(r.expect_end());
}

}  // namespace
}  // namespace kpp::protocol
