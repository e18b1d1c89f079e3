// SaslHandshake (API key 17), v0-v1, never flexible (KAFKA-9577 pins it). v1 announces that
// SaslAuthenticate frames follow; v0 (raw SASL tokens after it) is not spoken by the proxy.
//
//   Request:  Mechanism string
//   Response: ErrorCode int16, Mechanisms []string
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t sasl_handshake_max_version = 1;

struct sasl_handshake_request {
  std::string_view mechanism;  // Mechanism  string
};

struct sasl_handshake_response {
  std::int16_t error_code = 0;               // ErrorCode   int16
  std::vector<std::string_view> mechanisms;  // Mechanisms  []string
};

// Decoders take a whole body (after the header) at exactly `version`; the views point into it.
[[nodiscard]] result<sasl_handshake_request> decode_sasl_handshake_request(bytes_view body,
                                                                           std::int16_t version);
[[nodiscard]] result<sasl_handshake_response> decode_sasl_handshake_response(bytes_view body,
                                                                             std::int16_t version);

// Encoders append the body; they fail (writing nothing) on an unknown version or a string
// longer than an int16 length can say.
[[nodiscard]] status encode_sasl_handshake_request(const sasl_handshake_request& req,
                                                   std::int16_t version, byte_buffer& out);
[[nodiscard]] status encode_sasl_handshake_response(const sasl_handshake_response& resp,
                                                    std::int16_t version, byte_buffer& out);

}  // namespace kpp::protocol
