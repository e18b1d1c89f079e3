// SaslHandshake v0-1 and SaslAuthenticate v0-2: hand-built golden vectors
// (SaslHandshake*.json, SaslAuthenticate*.json), their malformed twins, and the fuzz seeds.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_api_versions.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"
#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::B;
using test::byte_builder;

// The fuzz target's first byte: message kind in the high nibble, version in the low one.
enum kind : std::uint8_t { hs_req = 0, hs_resp = 1, auth_req = 2, auth_resp = 3 };
std::uint8_t selector(kind k, std::int16_t v) {
  return static_cast<std::uint8_t>(k << 4 | v);
}

std::string text(bytes_view b) {
  return std::string(as_chars(b));
}

// ---- SaslHandshake ----

TEST(SaslHandshake, RequestGoldenBothVersions) {
  for (std::int16_t v : {0, 1}) {
    const auto body = byte_builder{}.raw({0x00, 0x0d}).raw("SCRAM-SHA-512").bytes();
    auto req = decode_sasl_handshake_request(body, v);
    ASSERT_TRUE(req) << req.error().describe();
    EXPECT_EQ(req->mechanism, "SCRAM-SHA-512");
    byte_buffer out;
    ASSERT_TRUE(encode_sasl_handshake_request(*req, v, out));
    EXPECT_EQ(out, body);
  }
}

TEST(SaslHandshake, ResponseGolden) {
  const auto body = byte_builder{}
                        .raw({0x00, 0x21})              // ErrorCode 33 UNSUPPORTED_SASL_MECHANISM
                        .raw({0x00, 0x00, 0x00, 0x02})  // Mechanisms: 2
                        .raw({0x00, 0x05})
                        .raw("PLAIN")
                        .raw({0x00, 0x0d})
                        .raw("SCRAM-SHA-256")
                        .bytes();
  auto resp = decode_sasl_handshake_response(body, 1);
  ASSERT_TRUE(resp) << resp.error().describe();
  EXPECT_EQ(resp->error_code, 33);
  ASSERT_EQ(resp->mechanisms.size(), 2u);
  EXPECT_EQ(resp->mechanisms[0], "PLAIN");
  EXPECT_EQ(resp->mechanisms[1], "SCRAM-SHA-256");
  byte_buffer out;
  ASSERT_TRUE(encode_sasl_handshake_response(*resp, 1, out));
  EXPECT_EQ(out, body);
}

TEST(SaslHandshake, MalformedTwins) {
  struct bad {
    const char* name;
    std::vector<std::byte> body;
    bool response;
    errc code;
  };
  const std::vector<bad> cases = {
      {"request truncated string", B({0x00, 0x05, 'P', 'L'}), false, errc::bad_length},
      {"request null mechanism", B({0xff, 0xff}), false, errc::negative_length},
      {"request trailing byte", B({0x00, 0x01, 'P', 0x00}), false, errc::trailing_bytes},
      {"response count beyond body", B({0x00, 0x00, 0x7f, 0xff, 0xff, 0xff}), true,
       errc::bad_length},
      {"response negative count", B({0x00, 0x00, 0xff, 0xff, 0xff, 0xfe}), true,
       errc::negative_length},
      {"response truncated error", B({0x00}), true, errc::truncated},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto code = c.response ? (decode_sasl_handshake_response(c.body, 1)
                                        ? std::optional<errc>{}
                                        : decode_sasl_handshake_response(c.body, 1).error().code)
                                 : (decode_sasl_handshake_request(c.body, 1)
                                        ? std::optional<errc>{}
                                        : decode_sasl_handshake_request(c.body, 1).error().code);
    EXPECT_EQ(code, c.code);
  }
  EXPECT_EQ(decode_sasl_handshake_request(B({0x00, 0x00}), 2).error().code, errc::unknown_version);
  byte_buffer out;
  EXPECT_FALSE(encode_sasl_handshake_request({"x"}, -1, out));
  const std::string huge(40000, 'M');
  EXPECT_FALSE(encode_sasl_handshake_request({huge}, 1, out));
  EXPECT_TRUE(out.empty());
}

// ---- SaslAuthenticate ----

TEST(SaslAuthenticate, RequestGoldenAllVersions) {
  const auto classic = byte_builder{}.raw({0x00, 0x00, 0x00, 0x03}).raw("abc").bytes();
  const auto flexible = byte_builder{}.raw({0x04}).raw("abc").raw({0x00}).bytes();
  for (std::int16_t v : {0, 1, 2}) {
    SCOPED_TRACE(v);
    const auto& body = v >= 2 ? flexible : classic;
    auto req = decode_sasl_authenticate_request(body, v);
    ASSERT_TRUE(req) << req.error().describe();
    EXPECT_EQ(text(req->auth_bytes), "abc");
    byte_buffer out;
    ASSERT_TRUE(encode_sasl_authenticate_request(*req, v, out));
    EXPECT_EQ(out, body);
  }
}

std::vector<std::byte> auth_response_v0() {
  return byte_builder{}
      .raw({0x00, 0x3a})  // ErrorCode 58 SASL_AUTHENTICATION_FAILED
      .raw({0x00, 0x03})
      .raw("bad")                     // ErrorMessage "bad"
      .raw({0x00, 0x00, 0x00, 0x00})  // AuthBytes empty
      .bytes();
}
std::vector<std::byte> auth_response_v1() {
  return byte_builder{}
      .raw({0x00, 0x00})                                      // ErrorCode 0
      .raw({0xff, 0xff})                                      // ErrorMessage null
      .raw({0x00, 0x00, 0x00, 0x02})                          // AuthBytes length 2
      .raw("v=")                                              // AuthBytes
      .raw({0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0xee, 0x80})  // SessionLifetimeMs 3600000
      .bytes();
}
std::vector<std::byte> auth_response_v2() {
  return byte_builder{}
      .raw({0x00, 0x00})                                      // ErrorCode 0
      .raw({0x00})                                            // ErrorMessage null (compact)
      .raw({0x03})                                            // AuthBytes length 2 (+1)
      .raw("v=")                                              // AuthBytes
      .raw({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x27, 0x10})  // SessionLifetimeMs 10000
      .raw({0x00})                                            // no tagged fields
      .bytes();
}

TEST(SaslAuthenticate, ResponseGoldenAllVersions) {
  // The decoded views point into the bodies, which must outlive them.
  const auto b0 = auth_response_v0();
  const auto b1 = auth_response_v1();
  const auto b2 = auth_response_v2();
  auto v0 = decode_sasl_authenticate_response(b0, 0);
  ASSERT_TRUE(v0) << v0.error().describe();
  EXPECT_EQ(v0->error_code, 58);
  EXPECT_EQ(v0->error_message, "bad");
  EXPECT_TRUE(v0->auth_bytes.empty());
  EXPECT_EQ(v0->session_lifetime_ms, 0);

  auto v1 = decode_sasl_authenticate_response(b1, 1);
  ASSERT_TRUE(v1) << v1.error().describe();
  EXPECT_EQ(v1->error_message, std::nullopt);
  EXPECT_EQ(text(v1->auth_bytes), "v=");
  EXPECT_EQ(v1->session_lifetime_ms, 3600000);

  auto v2 = decode_sasl_authenticate_response(b2, 2);
  ASSERT_TRUE(v2) << v2.error().describe();
  EXPECT_EQ(text(v2->auth_bytes), "v=");
  EXPECT_EQ(v2->session_lifetime_ms, 10000);

  const std::pair<std::int16_t, std::vector<std::byte>> all[] = {{0, b0}, {1, b1}, {2, b2}};
  for (const auto& [v, body] : all) {
    byte_buffer out;
    ASSERT_TRUE(
        encode_sasl_authenticate_response(*decode_sasl_authenticate_response(body, v), v, out));
    EXPECT_EQ(out, body) << "v" << v;
  }
}

TEST(SaslAuthenticate, UnknownTagsAreAcceptedAndDropped) {
  const auto body = byte_builder{}
                        .raw({0x00, 0x00, 0x00, 0x01})
                        .raw({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
                        .raw({0x01, 0x05, 0x01, 0x07})  // one tag (5) of one byte
                        .bytes();
  auto resp = decode_sasl_authenticate_response(body, 2);
  ASSERT_TRUE(resp) << resp.error().describe();
  EXPECT_EQ(resp->error_message, std::nullopt);
}

TEST(SaslAuthenticate, MalformedTwins) {
  // v1 without its SessionLifetimeMs; v0 with one extra; v2 missing the tag section; lengths
  // beyond the body; a null AuthBytes.
  auto v1 = auth_response_v1();
  v1.pop_back();
  EXPECT_EQ(decode_sasl_authenticate_response(v1, 1).error().code, errc::truncated);
  EXPECT_EQ(decode_sasl_authenticate_response(auth_response_v1(), 0).error().code,
            errc::trailing_bytes);
  auto v2 = auth_response_v2();
  v2.pop_back();
  EXPECT_EQ(decode_sasl_authenticate_response(v2, 2).error().code, errc::truncated);
  EXPECT_EQ(decode_sasl_authenticate_request(B({0x7f, 0xff, 0xff, 0xff, 'a'}), 0).error().code,
            errc::bad_length);
  EXPECT_EQ(decode_sasl_authenticate_request(B({0xff, 0xff, 0xff, 0xff}), 1).error().code,
            errc::negative_length);
  EXPECT_EQ(decode_sasl_authenticate_request(B({0x00, 0x00}), 2).error().code,
            errc::negative_length);  // compact null
  EXPECT_EQ(decode_sasl_authenticate_request(B({0x05, 'a', 0x00}), 2).error().code,
            errc::bad_length);
  EXPECT_EQ(decode_sasl_authenticate_response(auth_response_v0(), 3).error().code,
            errc::unknown_version);
  byte_buffer out;
  const std::string long_message(40000, 'm');
  EXPECT_FALSE(encode_sasl_authenticate_response({0, long_message, {}, 0}, 1, out));
  EXPECT_TRUE(out.empty());
}

TEST(SaslListenerApiVersions, OffersOnlyWhatTheLoginSpeaks) {
  const auto resp = sasl_listener_api_versions();
  EXPECT_EQ(resp.error_code, 0);
  ASSERT_EQ(resp.api_keys.size(), 3u);
  for (const auto& k : resp.api_keys) {
    EXPECT_TRUE(k.api_key == api_key::api_versions || k.api_key == api_key::sasl_handshake ||
                k.api_key == api_key::sasl_authenticate);
    EXPECT_LE(k.max_version, find_api(k.api_key)->max_version);
  }
}

TEST(SaslListenerApiVersions, GoldenBodies) {
  // v0: ErrorCode, ApiKeys int32 count, (key, min, max) int16 each.
  const auto v0 = byte_builder{}
                      .i16(0)
                      .array(3)
                      .i16(17)
                      .i16(1)
                      .i16(1)  // SaslHandshake 1-1
                      .i16(18)
                      .i16(0)
                      .i16(4)  // ApiVersions 0-4
                      .i16(36)
                      .i16(0)
                      .i16(2)  // SaslAuthenticate 0-2
                      .bytes();
  byte_buffer out;
  EXPECT_EQ(encode_sasl_listener_api_versions(0, out), 0);
  EXPECT_EQ(out, v0);
  // v3: compact count, a tag section per entry, ThrottleTimeMs, top-level tags.
  const auto v3 = byte_builder{}
                      .i16(0)
                      .carray(3)
                      .i16(17)
                      .i16(1)
                      .i16(1)
                      .no_tags()
                      .i16(18)
                      .i16(0)
                      .i16(4)
                      .no_tags()
                      .i16(36)
                      .i16(0)
                      .i16(2)
                      .no_tags()
                      .i32(0)
                      .no_tags()
                      .bytes();
  out.clear();
  EXPECT_EQ(encode_sasl_listener_api_versions(3, out), 3);
  EXPECT_EQ(out, v3);
  // KIP-511: a version above 4 gets UNSUPPORTED_VERSION in the v0 layout.
  auto v0_unsupported = v0;
  v0_unsupported[1] = std::byte{35};
  out.clear();
  EXPECT_EQ(encode_sasl_listener_api_versions(9, out), 0);
  EXPECT_EQ(out, v0_unsupported);
}

// ---- fuzz seeds: the golden vectors above, with the selector byte in front ----

struct seed_case {
  std::string name;
  std::uint8_t version;  // the selector byte
  std::vector<std::byte> body;
};

TEST(SaslMessages, FuzzCorpusIsTheGoldenVectors) {
  const auto mech = byte_builder{}.raw({0x00, 0x05}).raw("PLAIN").bytes();
  const std::vector<seed_case> cases = {
      {"handshake request v1", selector(hs_req, 1), mech},
      {"handshake response v1", selector(hs_resp, 1),
       byte_builder{}.raw({0x00, 0x00, 0x00, 0x00, 0x00, 0x01}).append(mech).bytes()},
      {"authenticate request v0", selector(auth_req, 0),
       byte_builder{}.raw({0x00, 0x00, 0x00, 0x03}).raw("abc").bytes()},
      {"authenticate request v2", selector(auth_req, 2),
       byte_builder{}.raw({0x04}).raw("abc").raw({0x00}).bytes()},
      {"authenticate response v0", selector(auth_resp, 0), auth_response_v0()},
      {"authenticate response v1", selector(auth_resp, 1), auth_response_v1()},
      {"authenticate response v2", selector(auth_resp, 2), auth_response_v2()},
  };
  test::expect_fuzz_corpus_holds("sasl", cases, [](const seed_case& c) { return c.body; });
}

}  // namespace
}  // namespace kpp::protocol
