// ApiVersions response v0-v4 (ApiVersionsResponse.json, flexible from v3) and the cap the
// proxy applies (DESIGN.md "ApiVersions"); ApiVersions request body v0-v4.
#include "kpp/protocol/api_versions_response.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "kpp/protocol/api_versions_request.h"
#include "unit/protocol/byte_builder.h"
#include "unit/protocol/rewrite_test_support.h"

namespace kpp::protocol {
namespace {

using test::byte_builder;
using test::write_seed;

struct key_range {
  std::int16_t key, min, max;
};

// What a broker newer than the proxy could offer, in wire order.
const std::vector<key_range> broker_keys = {
    {0, 3, 20},    // Produce: above the table's 13 -> clamped
    {1, 4, 17},    // Fetch: within the table's 18 -> untouched
    {3, 0, 12},    // Metadata: within -> untouched
    {18, 0, 5},    // ApiVersions itself: above 4 -> clamped
    {19, 2, 7},    // CreateTopics (streamed) -> untouched
    {32, 1, 9},    // DescribeConfigs (streamed): above the table, still untouched
    {55, 0, 2},    // DescribeQuorum: within -> untouched
    {60, 0, 3},    // DescribeCluster: above the table's 2 -> clamped
    {78, 1, 1},    // ShareFetch: min above the table's 0 -> dropped
    {1000, 0, 3},  // unknown to the table -> dropped
};
// The same, as clients must see it. Table maxima: Produce 13 (Kafka 4.1, SOURCE.md),
// ApiVersions 4, DescribeCluster 2 (KIP-1073), ShareFetch 0.
const std::vector<key_range> capped_keys = {
    {0, 3, 13}, {1, 4, 17}, {3, 0, 12}, {18, 0, 4}, {19, 2, 7}, {32, 1, 9}, {55, 0, 2}, {60, 0, 2},
};

// The one entry carrying an (unknown) tag in v3+: key 19.
std::vector<std::byte> entry_tags(std::int16_t key) {
  if (key == 19) return byte_builder{}.uvarint(1).tag(0, {0x01}).bytes();
  return byte_builder{}.no_tags().bytes();
}

// Top-level v3+ tags: SupportedFeatures (0), FinalizedFeaturesEpoch (1),
// FinalizedFeatures (2), ZkMigrationReady (3).
byte_builder feature_tags() {
  return byte_builder{}
      .uvarint(4)
      .tag(0, byte_builder{}.carray(1).cstr("metadata.version").i16(1).i16(20).no_tags().bytes())
      .tag(1, byte_builder{}.i64(42).bytes())
      .tag(2, byte_builder{}.carray(1).cstr("metadata.version").i16(20).i16(20).no_tags().bytes())
      .tag(3, {0x01});
}

byte_builder body(std::int16_t v, std::int16_t error_code, const std::vector<key_range>& keys) {
  const bool flexible = v >= 3;
  byte_builder b;
  b.i16(error_code);  // ErrorCode
  if (flexible) {
    b.carray(static_cast<std::uint32_t>(keys.size()));  // ApiKeys (compact)
  } else {
    b.array(static_cast<std::int32_t>(keys.size()));  // ApiKeys
  }
  for (const auto& k : keys) {
    b.i16(k.key).i16(k.min).i16(k.max);  // ApiKey, MinVersion, MaxVersion
    if (flexible) b.append(entry_tags(k.key));
  }
  if (v >= 1) b.i32(7);  // ThrottleTimeMs
  if (flexible) b.append(feature_tags());
  return b;
}

TEST(ApiVersionsResponse, DecodesAndReencodesEveryVersion) {
  for (std::int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in = body(v, 0, broker_keys);
    write_seed("fuzz_api_versions_response", "broker_v" + std::to_string(v),
               static_cast<std::uint8_t>(v), in.view());
    auto got = decode_api_versions_response(in.view(), v);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(got->error_code, 0);
    ASSERT_EQ(got->api_keys.size(), broker_keys.size());
    for (std::size_t i = 0; i < broker_keys.size(); ++i) {
      EXPECT_EQ(got->api_keys[i].api_key, broker_keys[i].key);
      EXPECT_EQ(got->api_keys[i].min_version, broker_keys[i].min);
      EXPECT_EQ(got->api_keys[i].max_version, broker_keys[i].max);
    }
    EXPECT_EQ(got->throttle_time_ms, v >= 1 ? 7 : 0);
    if (v >= 3) {
      EXPECT_TRUE(std::ranges::equal(got->tagged_fields, feature_tags().view()));
      EXPECT_TRUE(std::ranges::equal(got->api_keys[4].tagged_fields, entry_tags(19)));
    } else {
      EXPECT_TRUE(got->tagged_fields.empty());
    }
    byte_buffer out;
    encode_api_versions_response(*got, v, out);
    EXPECT_EQ(out, in.bytes());
  }
}

TEST(ApiVersionsResponse, CapsAddressApisAndDropsUnknownKeysAtEveryVersion) {
  for (std::int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in = body(v, 0, broker_keys);
    const auto want = body(v, 0, capped_keys);
    byte_buffer out;
    auto stats = cap_api_versions(in.view(), v, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_TRUE(stats->changed);
    EXPECT_EQ(out, want.bytes());  // tags (entry and top level) kept byte for byte
  }
}

TEST(ApiVersionsResponse, NothingToCapLeavesOutUntouched) {
  for (std::int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in = body(v, 0, capped_keys);
    byte_buffer out{std::byte{0x42}};
    auto stats = cap_api_versions(in.view(), v, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_FALSE(stats->changed);
    EXPECT_EQ(out, byte_buffer{std::byte{0x42}});
  }
}

// KIP-511: a broker that does not know the requested ApiVersions version answers
// UNSUPPORTED_VERSION (35) in v0 format, listing the ApiVersions range it supports.
TEST(ApiVersionsResponse, UnsupportedVersionFallsBackToV0) {
  struct fallback_case {
    const char* name;
    std::int16_t requested;
    byte_builder in;
    std::optional<byte_builder> want;  // nullopt: nothing to change
  };
  const std::vector<fallback_case> cases = {
      {"v3 asked, v0 error 35 within the cap", 3, body(0, 35, {{18, 0, 2}}), std::nullopt},
      {"v4 asked, v0 error 35 above the cap", 4, body(0, 35, {{18, 0, 5}, {1000, 0, 1}}),
       body(0, 35, {{18, 0, 4}})},
      {"v9 asked (newer than the proxy), v0 error 35", 9, body(0, 35, {{18, 0, 7}}),
       body(0, 35, {{18, 0, 4}})},
      {"v3 asked, v0 body without the error code (Java fallback)", 3, body(0, 0, broker_keys),
       body(0, 0, capped_keys)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write_seed("fuzz_api_versions_response",
               "kip511_v" + std::to_string(c.requested) + "_" + std::to_string(c.in.size()),
               static_cast<std::uint8_t>(c.requested), c.in.view());
    auto decoded = decode_api_versions_response_any(c.in.view(), c.requested);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(decoded->format_version, 0);
    byte_buffer out;
    auto stats = cap_api_versions(c.in.view(), c.requested, out);
    ASSERT_TRUE(stats) << stats.error().describe();
    EXPECT_EQ(stats->changed, c.want.has_value());
    if (c.want) {
      EXPECT_EQ(out, c.want->bytes());
    } else {
      EXPECT_TRUE(out.empty());
    }
  }
  // A v3 body with error 35 (a broker that understood v3 and still refused) stays v3.
  const auto v3 = body(3, 35, capped_keys);
  auto decoded = decode_api_versions_response_any(v3.view(), 3);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(decoded->format_version, 3);
}

TEST(ApiVersionsResponse, TruncationAtEveryOffsetFails) {
  for (std::int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto in = body(v, 0, broker_keys);
    for (std::size_t n = 0; n < in.size(); ++n) {
      SCOPED_TRACE(n);
      auto got = decode_api_versions_response(in.view().first(n), v);
      ASSERT_FALSE(got);
      EXPECT_LE(got.error().offset, n);
    }
  }
}

TEST(ApiVersionsResponse, MalformedInputIsAnError) {
  struct bad_case {
    const char* name;
    std::int16_t version;
    byte_builder in;
    errc code;
  };
  const std::vector<bad_case> cases = {
      {"v0 trailing byte", 0, body(0, 0, capped_keys).raw({0x00}), errc::trailing_bytes},
      {"v1 huge count", 1, byte_builder{}.i16(0).array(0x7fffffff).i32(0), errc::bad_length},
      {"v2 negative count", 2, byte_builder{}.i16(0).array(-2).i32(0), errc::negative_length},
      {"v3 null array", 3, byte_builder{}.i16(0).null_carray().i32(0).no_tags(),
       errc::negative_length},
      {"v4 tags out of order", 4,
       byte_builder{}.i16(0).carray(0).i32(0).uvarint(2).tag(3, {0x01}).tag(1, {0x00}),
       errc::bad_tag_order},
      {"v5 is unknown to the proxy", 5, body(4, 0, capped_keys), errc::unknown_version},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = decode_api_versions_response(c.in.view(), c.version);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, c.code) << got.error().describe();
  }
  // cap_api_versions with no usable layout fails rather than forwarding the unread body.
  byte_buffer out;
  auto stats = cap_api_versions(body(4, 0, broker_keys).view(), 5, out);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(out.empty());
}

TEST(ApiVersionsRequest, EncodesEveryVersion) {
  for (std::int16_t v = 0; v <= 2; ++v) {
    SCOPED_TRACE(v);
    auto got = encode_api_versions_request_body(v);
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->empty());
  }
  const auto want = byte_builder{}.cstr("kafka-psc-proxy").cstr("1.2.3").no_tags();
  for (std::int16_t v = 3; v <= 4; ++v) {
    SCOPED_TRACE(v);
    auto got = encode_api_versions_request_body(v, "kafka-psc-proxy", "1.2.3");
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, want.bytes());
  }
  auto defaults = encode_api_versions_request_body(3);
  ASSERT_TRUE(defaults) << defaults.error().describe();
  EXPECT_EQ(defaults->at(0), std::byte{16});  // "kafka-psc-proxy" is 15 chars, +1
  EXPECT_EQ(encode_api_versions_request_body(5).error().code, errc::unknown_version);
  EXPECT_EQ(encode_api_versions_request_body(3, "-bad", "1").error().code, errc::invalid_value);
  EXPECT_EQ(encode_api_versions_request_body(3, "ok", "1.0-").error().code, errc::invalid_value);
}

}  // namespace
}  // namespace kpp::protocol
