// SaslHandshake (API key 17), v0-1, never flexible. `check` sends it to list the SASL
// mechanisms a broker listener offers: the answer carries them whatever mechanism was asked.
//   request:  Mechanism string
//   response: ErrorCode int16, Mechanisms [string]
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t sasl_handshake_max_version = 1;

struct sasl_handshake_response {
  std::int16_t error_code = 0;
  std::vector<std::string_view> mechanisms;  // views into the decoded buffer
};

// The request body (after the request header); unknown_version outside 0-1.
[[nodiscard]] result<byte_buffer> encode_sasl_handshake_request_body(std::int16_t version,
                                                                     std::string_view mechanism);

// The response body (after the response header, which is v0 for every version).
[[nodiscard]] result<sasl_handshake_response> decode_sasl_handshake_response(bytes_view body,
                                                                             std::int16_t version);

}  // namespace kpp::protocol
