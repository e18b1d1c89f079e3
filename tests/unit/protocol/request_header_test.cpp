// Request headers v0/v1/v2 and the Produce acks field, from hand-written bytes; a truncation
// table for a flexible Produce request; and the frames the proxy encodes itself.
#include "kpp/protocol/request_header.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

TEST(RequestHeader, PrefixIsTheFirstEightBytes) {
  const auto buf = B({0x00, 0x03, 0x00, 0x0c, 0x12, 0x34, 0x56, 0x78, 0xee});
  const auto p = decode_request_prefix(buf);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->api_key, 3);
  EXPECT_EQ(p->api_version, 12);
  EXPECT_EQ(p->correlation_id, 0x12345678);
  // The prefix does not need a known key or version.
  const auto odd = B({0x7f, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff});
  const auto q = decode_request_prefix(odd);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->api_key, 32767);
  EXPECT_EQ(q->correlation_id, -1);
}

TEST(RequestHeader, PrefixTruncation) {
  const auto buf = B({0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01});
  for (std::size_t cut = 0; cut < buf.size(); ++cut) {
    const auto p = decode_request_prefix(bytes_view{buf}.first(cut));
    ASSERT_FALSE(p.has_value()) << cut;
    EXPECT_EQ(p.error().code, errc::truncated);
    EXPECT_EQ(p.error().offset, cut < 2 ? 0u : cut < 4 ? 2u : 4u) << cut;
  }
}

TEST(RequestHeader, V0ControlledShutdownHasNoClientId) {
  const auto buf = B({0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,  // key 7 v0 corr 42
                      0x00, 0x00, 0x00, 0x01});                        // body: broker id
  const auto h = decode_request_header(buf);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->api_key, 7);
  EXPECT_EQ(h->api_version, 0);
  EXPECT_EQ(h->correlation_id, 42);
  EXPECT_EQ(h->header_version, 0);
  EXPECT_EQ(h->client_id, std::nullopt);
  EXPECT_EQ(h->size, 8u);
}

TEST(RequestHeader, V1WithClientId) {
  const auto buf = B({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,  // Metadata v1 corr 7
                      0x00, 0x04, 't', 'e', 's', 't',                  // client id "test"
                      0xff, 0xff, 0xff, 0xff});                        // body: null topics
  const auto h = decode_request_header(buf);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->header_version, 1);
  EXPECT_EQ(h->client_id, std::optional<std::string_view>("test"));
  EXPECT_EQ(h->size, 14u);
}

TEST(RequestHeader, V1WithNullClientId) {
  const auto buf = B({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff});
  const auto h = decode_request_header(buf);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->client_id, std::nullopt);
  EXPECT_EQ(h->size, 10u);
}

TEST(RequestHeader, V2ClientIdStaysClassicThenTaggedSection) {
  const auto buf = B({0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x09,  // Metadata v12 corr 9
                      0x00, 0x03, 'c', 'l', 'i',                       // int16-length client id
                      0x00,                                            // no tagged fields
                      0x01});                                          // body starts here
  const auto h = decode_request_header(buf);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->header_version, 2);
  EXPECT_EQ(h->client_id, std::optional<std::string_view>("cli"));
  EXPECT_EQ(h->size, 14u);
}

TEST(RequestHeader, V2WithTaggedFieldsAndNullClientId) {
  const auto buf = B({0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,  // ApiVersions v3
                      0xff, 0xff,                                      // null client id
                      0x02, 0x00, 0x02, 0xaa, 0xbb, 0x03, 0x00});      // tags 0 and 3
  const auto h = decode_request_header(buf);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->header_version, 2);
  EXPECT_EQ(h->client_id, std::nullopt);
  EXPECT_EQ(h->size, buf.size());
}

TEST(RequestHeader, V2BadTagOrderIsAnError) {
  const auto buf =
      B({0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x09, 0xff, 0xff, 0x02, 0x04, 0x00, 0x04, 0x00});
  const auto h = decode_request_header(buf);
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().code, errc::bad_tag_order);
  EXPECT_EQ(h.error().offset, 13u);
}

TEST(RequestHeader, UnknownKeyOrVersionFails) {
  const auto unknown_key = B({0x27, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff});
  const auto k = decode_request_header(unknown_key);
  ASSERT_FALSE(k.has_value());
  EXPECT_EQ(k.error().code, errc::unknown_api_key);
  EXPECT_EQ(k.error().offset, 0u);
  const auto unknown_version = B({0x00, 0x03, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff});
  const auto v = decode_request_header(unknown_version);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, errc::unknown_version);
  EXPECT_EQ(v.error().offset, 2u);
}

TEST(RequestHeader, ProduceAcksV0) {
  const auto buf = B({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // Produce v0 corr 5
                      0x00, 0x02, 'p', '1',                            // client id
                      0x00, 0x00,                                      // acks 0
                      0x00, 0x00, 0x75, 0x30});                        // timeout 30000
  const auto acks = decode_produce_acks(buf);
  ASSERT_TRUE(acks.has_value()) << acks.error().describe();
  EXPECT_EQ(*acks, 0);
}

TEST(RequestHeader, ProduceAcksV3AfterTransactionalId) {
  const auto with_null = B({0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'p', '1',
                            0xff, 0xff,    // null transactional id
                            0xff, 0xff});  // acks -1
  const auto a = decode_produce_acks(with_null);
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  EXPECT_EQ(*a, -1);
  const auto with_id = B({0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'p', '1',
                          0x00, 0x02, 't', 'x',  // transactional id "tx"
                          0x00, 0x01});          // acks 1
  const auto b = decode_produce_acks(with_id);
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  EXPECT_EQ(*b, 1);
}

// Produce v9: header v2, compact transactional id "tx", acks -1.
const std::vector<std::byte> produce_v9 = B({
    0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05,  // 0: key 0, v9, corr 5
    0x00, 0x02, 'p', '1',                            // 8: client id (classic)
    0x00,                                            // 12: no tagged fields
    0x03, 't', 'x',                                  // 13: compact transactional id
    0xff, 0xff,                                      // 16: acks -1
});

TEST(RequestHeader, ProduceAcksV9CompactTransactionalId) {
  const auto a = decode_produce_acks(produce_v9);
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  EXPECT_EQ(*a, -1);
  const auto null_id = B({0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0x00,
                          0x00,          // compact null transactional id
                          0x00, 0x00});  // acks 0
  const auto b = decode_produce_acks(null_id);
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  EXPECT_EQ(*b, 0);
}

TEST(RequestHeader, ProduceAcksRejectsOtherApis) {
  const auto buf = B({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x00, 0x00});
  const auto a = decode_produce_acks(buf);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, errc::invalid_value);
}

struct cut_want {
  errc code;
  std::size_t offset;
  std::string_view field;
};

TEST(RequestHeader, ProduceV9TruncationAtEveryByte) {
  // Worked out by hand from the layout of produce_v9 above.
  const std::vector<cut_want> table = {
      {errc::truncated, 0, "request_api_key"},
      {errc::truncated, 0, "request_api_key"},
      {errc::truncated, 2, "request_api_version"},
      {errc::truncated, 2, "request_api_version"},
      {errc::truncated, 4, "correlation_id"},
      {errc::truncated, 4, "correlation_id"},
      {errc::truncated, 4, "correlation_id"},
      {errc::truncated, 4, "correlation_id"},
      {errc::truncated, 8, "client_id"},
      {errc::truncated, 8, "client_id"},
      {errc::bad_length, 8, "client_id"},
      {errc::bad_length, 8, "client_id"},
      {errc::truncated, 12, "tagged fields count"},
      {errc::truncated, 13, "transactional_id"},
      {errc::bad_length, 13, "transactional_id"},
      {errc::bad_length, 13, "transactional_id"},
      {errc::truncated, 16, "acks"},
      {errc::truncated, 16, "acks"},
  };
  ASSERT_EQ(table.size(), produce_v9.size());
  for (std::size_t cut = 0; cut < produce_v9.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const bytes_view in = bytes_view{produce_v9}.first(cut);
    const auto a = decode_produce_acks(in);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, table[cut].code) << a.error().describe();
    EXPECT_EQ(a.error().offset, table[cut].offset);
    EXPECT_EQ(a.error().field, table[cut].field);
    // The header alone ends at byte 13.
    const auto h = decode_request_header(in);
    if (cut < 13) {
      ASSERT_FALSE(h.has_value());
      EXPECT_EQ(h.error(), a.error());
    } else {
      ASSERT_TRUE(h.has_value());
      EXPECT_EQ(h->size, 13u);
    }
  }
}

TEST(RequestHeader, EncodeFrameV2) {
  byte_buffer out;
  encode_request_frame(out, 3, 12, 7, "kpp", B({0x01, 0x00, 0x00}));
  EXPECT_EQ(out, B({0x00, 0x00, 0x00, 0x11,                          // size 17
                    0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07,  // Metadata v12 corr 7
                    0x00, 0x03, 'k',  'p',  'p',                     // classic client id
                    0x00,                                            // no tagged fields
                    0x01, 0x00, 0x00}));                             // body
}

TEST(RequestHeader, EncodeFrameV1AppendsAfterExistingBytes) {
  byte_buffer out = B({0xee});
  encode_request_frame(out, 3, 4, -2, "", B({0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(out, B({0xee, 0x00, 0x00, 0x00, 0x0e,                    // size 14
                    0x00, 0x03, 0x00, 0x04, 0xff, 0xff, 0xff, 0xfe,  // Metadata v4 corr -2
                    0x00, 0x00,                                      // empty client id
                    0xff, 0xff, 0xff, 0xff}));                       // body
}

TEST(RequestHeader, EncodeFrameV0AndUnknown) {
  byte_buffer out;
  encode_request_frame(out, 7, 0, 1, "ignored", B({0x00, 0x00, 0x00, 0x02}));
  EXPECT_EQ(out, B({0x00, 0x00, 0x00, 0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                    0x00, 0x00, 0x02}));
  EXPECT_THROW(encode_request_frame(out, 3, 99, 1, "x", {}), std::invalid_argument);
}

TEST(RequestHeader, EncodedFrameDecodes) {
  byte_buffer out;
  encode_request_frame(out, 0, 9, 11, "client", {});
  const auto h = decode_request_header(bytes_view{out}.subspan(4));
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->correlation_id, 11);
  EXPECT_EQ(h->client_id, std::optional<std::string_view>("client"));
  EXPECT_EQ(h->size, out.size() - 4);
}

}  // namespace
}  // namespace kpp::protocol
