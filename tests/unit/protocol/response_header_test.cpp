// Response headers: v0 is the correlation id; v1 adds a tagged section (KIP-482).
#include "kpp/protocol/response_header.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

TEST(ResponseHeader, V0IsTheCorrelationId) {
  const auto buf = B({0x00, 0x00, 0x01, 0x00, 0x00, 0x00});  // corr 256, then a body
  const auto h = decode_response_header(buf, 0);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->correlation_id, 256);
  EXPECT_EQ(h->size, 4u);
}

TEST(ResponseHeader, V1EmptyTaggedSection) {
  const auto buf = B({0xff, 0xff, 0xff, 0xfe, 0x00, 0x07});
  const auto h = decode_response_header(buf, 1);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->correlation_id, -2);
  EXPECT_EQ(h->size, 5u);
}

TEST(ResponseHeader, V1UnknownTagsAreSkipped) {
  const auto buf = B({0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01, 0xee, 0x09, 0x00, 0x55});
  const auto h = decode_response_header(buf, 1);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->size, 10u);
}

TEST(ResponseHeader, V1BadTagOrder) {
  const auto buf = B({0x00, 0x00, 0x00, 0x01, 0x02, 0x09, 0x00, 0x01, 0x00});
  const auto h = decode_response_header(buf, 1);
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().code, errc::bad_tag_order);
  EXPECT_EQ(h.error().offset, 7u);
}

TEST(ResponseHeader, TruncationAtEveryByte) {
  const auto buf = B({0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01, 0xee});
  for (std::size_t cut = 0; cut < buf.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const auto h = decode_response_header(bytes_view{buf}.first(cut), 1);
    ASSERT_FALSE(h.has_value());
    if (cut < 4) {
      EXPECT_EQ(h.error().code, errc::truncated);
      EXPECT_EQ(h.error().offset, 0u);
      EXPECT_EQ(h.error().field, "correlation_id");
    } else if (cut == 4) {
      EXPECT_EQ(h.error().code, errc::truncated);  // the count is missing
      EXPECT_EQ(h.error().offset, 4u);
    } else if (cut < 7) {
      // One announced entry needs at least 2 bytes (tag and size): too few remain.
      EXPECT_EQ(h.error().code, errc::bad_length);
      EXPECT_EQ(h.error().offset, 4u);
      EXPECT_EQ(h.error().field, "tagged fields count");
    } else {
      EXPECT_EQ(h.error().code, errc::bad_length);  // size 1 at offset 6, its byte is missing
      EXPECT_EQ(h.error().offset, 6u);
      EXPECT_EQ(h.error().field, "tagged field size");
    }
    // Header v0 needs only the correlation id.
    EXPECT_EQ(decode_response_header(bytes_view{buf}.first(cut), 0).has_value(), cut >= 4);
  }
}

TEST(ResponseHeader, UnknownHeaderVersion) {
  const auto buf = B({0x00, 0x00, 0x00, 0x01, 0x00});
  for (std::int16_t v : {-1, 2, 3}) {
    const auto h = decode_response_header(buf, v);
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().code, errc::unknown_version);
  }
}

}  // namespace
}  // namespace kpp::protocol
