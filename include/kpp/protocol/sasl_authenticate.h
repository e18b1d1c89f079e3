// SaslAuthenticate (API key 36), v0-v2: one SASL token each way. SessionLifetimeMs from v1
// (KIP-368), flexible from v2 (KIP-482; unknown tags are validated and dropped).
//
//   Request:  AuthBytes bytes
//   Response: ErrorCode int16, ErrorMessage nullable string, AuthBytes bytes,
//             SessionLifetimeMs int64 (v1+)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t sasl_authenticate_max_version = 2;
inline constexpr std::int16_t sasl_authenticate_first_flexible = 2;

struct sasl_authenticate_request {
  bytes_view auth_bytes;  // AuthBytes  bytes
};

struct sasl_authenticate_response {
  std::int16_t error_code = 0;                    // ErrorCode          int16
  std::optional<std::string_view> error_message;  // ErrorMessage       nullable string
  bytes_view auth_bytes;                          // AuthBytes          bytes
  std::int64_t session_lifetime_ms = 0;           // SessionLifetimeMs  int64 (v1+)
};

// Decoders take a whole body at exactly `version`; the views point into it.
[[nodiscard]] result<sasl_authenticate_request> decode_sasl_authenticate_request(
    bytes_view body, std::int16_t version);
[[nodiscard]] result<sasl_authenticate_response> decode_sasl_authenticate_response(
    bytes_view body, std::int16_t version);

// Encoders append the body (an empty tagged section at v2); they fail, writing nothing, on
// an unknown version or a string too long for its length prefix.
[[nodiscard]] status encode_sasl_authenticate_request(const sasl_authenticate_request& req,
                                                      std::int16_t version, byte_buffer& out);
[[nodiscard]] status encode_sasl_authenticate_response(const sasl_authenticate_response& resp,
                                                       std::int16_t version, byte_buffer& out);

}  // namespace kpp::protocol
