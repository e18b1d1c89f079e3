// Request header (v0: key, version, correlation id; v1: + client id; v2: + tagged fields)
// and the Produce `acks` field, which tells whether a response will come at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// The first 8 bytes of every request, whatever its header version.
struct request_prefix {
  std::int16_t api_key;
  std::int16_t api_version;
  std::int32_t correlation_id;
};
inline constexpr std::size_t request_prefix_size = 8;

struct request_header {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;  // v1+; null allowed
  std::int16_t header_version = 0;
  std::size_t size = 0;  // bytes the header occupies; the body starts here
};

// `payload` is a request frame without its 4-byte size (or at least its first bytes).
[[nodiscard]] result<request_prefix> decode_request_prefix(bytes_view payload);
// Full header; fails with unknown_api_key / unknown_version when the header version cannot
// be known, or truncated when `payload` is shorter than the header.
[[nodiscard]] result<request_header> decode_request_header(bytes_view payload);

// acks of a Produce request (-1, 0, 1); `payload` needs only to reach the acks field.
[[nodiscard]] result<std::int16_t> decode_produce_acks(bytes_view payload);

// Encodes a complete request frame (4-byte size included) with a v1 or v2 header, for the
// proxy's own requests (discovery). `body` is the encoded request body.
void encode_request_frame(byte_buffer& out, std::int16_t api_key, std::int16_t api_version,
                          std::int32_t correlation_id, std::string_view client_id,
                          bytes_view body);

}  // namespace kpp::protocol
