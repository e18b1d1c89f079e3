// Tagged-field sections (KIP-482): hand-written sections, ordering and size errors, and
// truncation at every byte with the expected error code and offset for each cut.
#include "kpp/protocol/tagged_fields.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

struct seen {
  std::uint32_t tag;
  std::vector<std::byte> data;
  friend bool operator==(const seen&, const seen&) = default;
};

std::vector<seen> collect(wire_reader& r, bool& ok) {
  std::vector<seen> out;
  ok = read_tagged_fields(r, [&](const tagged_field& f) {
    out.push_back({f.tag, {f.data.begin(), f.data.end()}});
    return true;
  });
  return out;
}

TEST(TaggedFields, EmptySection) {
  const auto buf = B({0x00});
  wire_reader r{buf};
  bool ok = false;
  EXPECT_TRUE(collect(r, ok).empty());
  EXPECT_TRUE(ok);
  EXPECT_EQ(r.offset(), 1u);
}

TEST(TaggedFields, FieldsInOrderWithMultiByteTag) {
  // tag 0 (2 bytes), tag 5 (empty), tag 128 (varint 0x80 0x01, 1 byte)
  const auto buf = B({0x03, 0x00, 0x02, 0xaa, 0xbb, 0x05, 0x00, 0x80, 0x01, 0x01, 0xcc, 0x77});
  wire_reader r{buf};
  bool ok = false;
  const auto fields = collect(r, ok);
  ASSERT_TRUE(ok) << r.err().describe();
  const std::vector<seen> want = {{0, B({0xaa, 0xbb})}, {5, {}}, {128, B({0xcc})}};
  EXPECT_EQ(fields, want);
  EXPECT_EQ(r.offset(), 11u);  // the byte after the section is not consumed
}

TEST(TaggedFields, DataViewsPointIntoTheBuffer) {
  const auto buf = B({0x01, 0x07, 0x03, 0x01, 0x02, 0x03});
  wire_reader r{buf};
  const std::byte* at = nullptr;
  ASSERT_TRUE(read_tagged_fields(r, [&](const tagged_field& f) {
    at = f.data.data();
    return true;
  }));
  EXPECT_EQ(at, buf.data() + 3);  // unknown tags can be copied byte for byte
}

TEST(TaggedFields, VisitorCanStop) {
  const auto buf = B({0x02, 0x00, 0x00, 0x01, 0x00});
  wire_reader r{buf};
  int calls = 0;
  EXPECT_FALSE(read_tagged_fields(r, [&](const tagged_field&) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(r.ok());
}

TEST(TaggedFields, SkipValidates) {
  const auto good = B({0x02, 0x01, 0x01, 0xff, 0x02, 0x00});
  wire_reader r1{good};
  EXPECT_TRUE(skip_tagged_fields(r1));
  EXPECT_TRUE(r1.expect_end());
  const auto bad = B({0x02, 0x02, 0x00, 0x01, 0x00});
  wire_reader r2{bad};
  EXPECT_FALSE(skip_tagged_fields(r2));
  EXPECT_EQ(r2.err().code, errc::bad_tag_order);
}

TEST(TaggedFields, AlreadyFailedReaderReadsNothing) {
  const auto buf = B({0x00});
  wire_reader r{buf};
  r.fail(errc::invalid_value, "earlier");
  EXPECT_FALSE(skip_tagged_fields(r));
  EXPECT_EQ(r.err().field, "earlier");
  EXPECT_EQ(r.offset(), 0u);
}

struct bad_section {
  const char* name;
  std::vector<std::byte> bytes;
  errc code;
  std::size_t offset;
  std::string_view field;
};

TEST(TaggedFields, MalformedTable) {
  const std::vector<bad_section> cases = {
      {"descending tags", B({0x02, 0x05, 0x00, 0x03, 0x00}), errc::bad_tag_order, 3,
       "tagged field tag"},
      {"duplicate tag", B({0x02, 0x01, 0x00, 0x01, 0x00}), errc::bad_tag_order, 3,
       "tagged field tag"},
      {"size past the end", B({0x01, 0x00, 0x05, 0xaa}), errc::bad_length, 2, "tagged field size"},
      {"huge count", B({0xff, 0xff, 0xff, 0xff, 0x0f}), errc::bad_length, 0, "tagged fields count"},
      {"count larger than entries can fit", B({0x03, 0x00, 0x00, 0x01, 0x00, 0x02}),
       errc::bad_length, 0, "tagged fields count"},
      {"6-byte count", B({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), errc::varint_overflow, 0,
       "tagged fields count"},
      {"6-byte tag", B({0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00}), errc::varint_overflow, 1,
       "tagged field tag"},
      {"6-byte size", B({0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), errc::varint_overflow, 2,
       "tagged field size"},
      {"size 2^32-1", B({0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}), errc::bad_length, 2,
       "tagged field size"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    wire_reader r{c.bytes};
    EXPECT_FALSE(skip_tagged_fields(r));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, c.code) << r.err().describe();
    EXPECT_EQ(r.err().offset, c.offset) << r.err().describe();
    EXPECT_EQ(r.err().field, c.field);
  }
}

TEST(TaggedFields, TruncationAtEveryByte) {
  // count 2; tag 1 with 2 bytes; tag 129 (0x81 0x01) with 0 bytes
  const auto buf = B({0x02, 0x01, 0x02, 0xaa, 0xbb, 0x81, 0x01, 0x00});
  struct want {
    errc code;
    std::size_t offset;
    std::string_view field;
  };
  // Worked out by hand: cuts 1-4 leave fewer than 2 bytes per announced entry.
  const std::vector<want> table = {
      {errc::truncated, 0, "tagged fields count"},   // cut 0
      {errc::bad_length, 0, "tagged fields count"},  // cut 1
      {errc::bad_length, 0, "tagged fields count"},  // cut 2
      {errc::bad_length, 0, "tagged fields count"},  // cut 3
      {errc::bad_length, 0, "tagged fields count"},  // cut 4
      {errc::truncated, 5, "tagged field tag"},      // cut 5
      {errc::truncated, 5, "tagged field tag"},      // cut 6: inside the 2-byte tag
      {errc::truncated, 7, "tagged field size"},     // cut 7
  };
  ASSERT_EQ(table.size(), buf.size());
  for (std::size_t cut = 0; cut < buf.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    wire_reader r{bytes_view{buf}.first(cut)};
    EXPECT_FALSE(skip_tagged_fields(r));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, table[cut].code) << r.err().describe();
    EXPECT_EQ(r.err().offset, table[cut].offset);
    EXPECT_EQ(r.err().field, table[cut].field);
  }
  wire_reader whole{buf};
  EXPECT_TRUE(skip_tagged_fields(whole));
  EXPECT_TRUE(whole.expect_end());
}

TEST(TaggedFields, WriterProducesTheWireForm) {
  byte_buffer out;
  wire_writer w{out};
  write_tagged_count(w, 3);
  write_tagged_field(w, 0, B({0xaa, 0xbb}));
  write_tagged_field(w, 5, {});
  write_tagged_field(w, 128, B({0xcc}));
  // The size is a plain uvarint (not +1), unlike compact bytes.
  EXPECT_EQ(out, B({0x03, 0x00, 0x02, 0xaa, 0xbb, 0x05, 0x00, 0x80, 0x01, 0x01, 0xcc}));
}

}  // namespace
}  // namespace kpp::protocol
