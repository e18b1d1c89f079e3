// Entry point of the response side: rewrite a complete response by action.
#pragma once

#include <cstdint>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// `payload` is a whole response frame without its 4-byte size (response header + body),
// answering a request of `api_key`/`api_version` whose action was `action`. On success with
// stats.changed, `out` holds the new payload (header copied verbatim); otherwise `out` is
// untouched and the input is to be forwarded as is.
[[nodiscard]] result<rewrite_stats> rewrite_response(response_action action,
                                                     std::int16_t api_key,
                                                     std::int16_t api_version,
                                                     bytes_view payload,
                                                     const address_mapper& map,
                                                     byte_buffer& out);

}  // namespace kpp::protocol
