// The proxy's own brokers-only Metadata request, every version, spelled out byte by byte from
// MetadataRequest.json.
#include "kpp/protocol/metadata_request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kpp::protocol {
namespace {

struct request_case {
  std::int16_t version;
  std::vector<std::uint8_t> body;
};

TEST(MetadataRequest, BrokersOnlyBodyEveryVersion) {
  const std::vector<request_case> cases = {
      // v0: Topics int32 0 — at v0 this means ALL topics; nothing better exists there.
      {0, {0, 0, 0, 0}},
      // v1-3: Topics int32 0 = no topics (null, -1, would be all).
      {1, {0, 0, 0, 0}},
      {2, {0, 0, 0, 0}},
      {3, {0, 0, 0, 0}},
      // v4-7: + AllowAutoTopicCreation false.
      {4, {0, 0, 0, 0, 0}},
      {5, {0, 0, 0, 0, 0}},
      {6, {0, 0, 0, 0, 0}},
      {7, {0, 0, 0, 0, 0}},
      // v8: + IncludeClusterAuthorizedOperations false, IncludeTopicAuthorizedOperations false.
      {8, {0, 0, 0, 0, 0, 0, 0}},
      // v9-10: flexible: Topics compact 0 (0x01), three false flags, no tagged fields.
      {9, {0x01, 0, 0, 0, 0}},
      {10, {0x01, 0, 0, 0, 0}},
      // v11+: IncludeClusterAuthorizedOperations is gone (KIP-700).
      {11, {0x01, 0, 0, 0}},
      {12, {0x01, 0, 0, 0}},
      {13, {0x01, 0, 0, 0}},  // v13 (KIP-1102) changed the response only
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("v" + std::to_string(c.version));
    const auto got = encode_metadata_request_body(c.version);
    ASSERT_TRUE(got) << got.error().describe();
    byte_buffer want;
    for (auto b : c.body) want.push_back(std::byte{b});
    EXPECT_EQ(*got, want);
  }
}

TEST(MetadataRequest, UnknownVersionsFail) {
  for (std::int16_t v : {std::int16_t{-1}, std::int16_t{14}, std::int16_t{32767}}) {
    SCOPED_TRACE("v" + std::to_string(v));
    const auto got = encode_metadata_request_body(v);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::unknown_version);
  }
}

}  // namespace
}  // namespace kpp::protocol
