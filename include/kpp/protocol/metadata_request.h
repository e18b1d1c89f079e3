// Metadata (API key 3) request bodies the proxy sends itself, for broker discovery.
#pragma once

#include <cstdint>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// v0-12 from the message definitions; v13 (KIP-1102) changed only the response.
inline constexpr std::int16_t metadata_request_min_version = 0;
inline constexpr std::int16_t metadata_request_max_version = 13;

// The body (after the request header) of a Metadata request that asks for brokers only:
// an empty Topics array, which from v1 means "no topics". v0 has no way to ask for none —
// its Topics array is not nullable and empty there means ALL topics — so a v0 request costs
// a full topic listing; discovery should negotiate v1 or later. AllowAutoTopicCreation (v4+)
// and the Include*AuthorizedOperations flags (v8+) are false. The answer decodes with
// decode_metadata_response (brokers, cluster id, controller id).
[[nodiscard]] result<byte_buffer> encode_metadata_request_body(std::int16_t version);

}  // namespace kpp::protocol
