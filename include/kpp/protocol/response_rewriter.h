// Entry point of the response side: rewrite a complete response by action.
#pragma once

#include <cstddef>
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
[[nodiscard]] result<rewrite_stats> rewrite_response(response_action action, std::int16_t api_key,
                                                     std::int16_t api_version, bytes_view payload,
                                                     const address_mapper& map, byte_buffer& out);

// A rewritten response as the input around its change: the input's first `head` bytes, the
// bytes splice_response appended to `out`, then the input's last `tail` bytes. Produce,
// Fetch, ShareFetch and ShareAcknowledge change only their NodeEndpoints, so `out` holds that
// array (a few hundred bytes) whatever the response's size; the other actions rewrite the
// whole body (`head` is the response header).
struct response_splice {
  rewrite_stats stats;
  std::size_t head = 0;
  std::size_t tail = 0;
};

// As rewrite_response, but appends to `out` only the bytes that replace the changed part.
// Unchanged (or failed): `out` untouched, and head = payload size, tail = 0.
[[nodiscard]] result<response_splice> splice_response(response_action action, std::int16_t api_key,
                                                      std::int16_t api_version, bytes_view payload,
                                                      const address_mapper& map, byte_buffer& out);

}  // namespace kpp::protocol
