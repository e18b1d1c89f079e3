// Response header: v0 = correlation id; v1 = correlation id + tagged fields.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

struct response_header {
  std::int32_t correlation_id = 0;
  std::size_t size = 0;  // bytes the header occupies (4, or 4 + tagged section)
};

// `payload` is a response frame without its 4-byte size.
[[nodiscard]] result<response_header> decode_response_header(bytes_view payload,
                                                             std::int16_t header_version);

}  // namespace kpp::protocol
