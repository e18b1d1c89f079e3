// SaslHandshake v0-1 (what `check` sends to list a listener's mechanisms), byte by byte from
// SaslHandshakeRequest.json / SaslHandshakeResponse.json, with malformed twins.
#include "kpp/protocol/sasl_handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using test::B;

TEST(SaslHandshake, RequestBodyIsTheMechanismString) {
  for (std::int16_t v : {std::int16_t{0}, std::int16_t{1}}) {
    SCOPED_TRACE("v" + std::to_string(v));
    auto got = encode_sasl_handshake_request_body(v, "PLAIN");
    ASSERT_TRUE(got) << got.error().describe();
    // Mechanism: int16 length 5, "PLAIN".
    EXPECT_EQ(*got, B({0x00, 0x05, 'P', 'L', 'A', 'I', 'N'}));
  }
  EXPECT_EQ(encode_sasl_handshake_request_body(2, "PLAIN").error().code, errc::unknown_version);
}

TEST(SaslHandshake, ResponseListsTheMechanisms) {
  const auto body =
      B({0x00, 0x21,                             // ErrorCode 33 UNSUPPORTED_SASL_MECHANISM
         0x00, 0x00, 0x00, 0x02,                 // Mechanisms: 2 entries
         0x00, 0x05, 'P',  'L',  'A', 'I', 'N',  //
         0x00, 0x0d, 'S',  'C',  'R', 'A', 'M', '-', 'S', 'H', 'A', '-', '2', '5', '6'});
  auto got = decode_sasl_handshake_response(body, 1);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->error_code, 33);
  ASSERT_EQ(got->mechanisms.size(), 2u);
  EXPECT_EQ(got->mechanisms[0], "PLAIN");
  EXPECT_EQ(got->mechanisms[1], "SCRAM-SHA-256");
}

TEST(SaslHandshake, MalformedResponsesFail) {
  const auto good = B({0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'X'});
  ASSERT_TRUE(decode_sasl_handshake_response(good, 0));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    auto part = bytes_view(good).first(cut);
    EXPECT_FALSE(decode_sasl_handshake_response(part, 0));
  }
  auto longer = good;
  longer.push_back(std::byte{0});
  EXPECT_EQ(decode_sasl_handshake_response(longer, 0).error().code, errc::trailing_bytes);
  // A count far beyond the bytes present is refused before anything is reserved.
  const auto huge = B({0x00, 0x00, 0x7f, 0xff, 0xff, 0xff});
  EXPECT_EQ(decode_sasl_handshake_response(huge, 0).error().code, errc::bad_length);
}

}  // namespace
}  // namespace kpp::protocol
