// libFuzzer target for parse_proxy_header. Besides "no crash, no UB", it checks the contract
// the connection code relies on when it feeds every read to the parser:
//  - invalid always carries an error; complete never claims more bytes than it was given;
//  - a complete header parses identically from exactly its own bytes, and one byte fewer is
//    need_more (a prefix of a valid header must wait, never decide);
//  - one more byte never reverses a decision: what was complete stays complete with the same
//    header, what was invalid stays invalid;
//  - need_more never asks to buffer more than the largest header allowed.
#include <cstddef>
#include <cstdint>

#include "kpp/protocol/proxy_protocol.h"

using kpp::protocol::bytes_view;
using kpp::protocol::parse_proxy_header;
using kpp::protocol::proxy_parse_status;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view all(reinterpret_cast<const std::byte*>(data), size);
  const auto r = parse_proxy_header(all);

  switch (r.status) {
    case proxy_parse_status::invalid:
      if (r.error.empty()) __builtin_trap();
      break;
    case proxy_parse_status::need_more:
      if (size >= kpp::protocol::proxy_v2_fixed_size + kpp::protocol::proxy_v2_max_length) {
        __builtin_trap();
      }
      break;
    case proxy_parse_status::complete: {
      const auto& h = r.header;
      if (h.size == 0 || h.size > size) __builtin_trap();
      if (h.version != 1 && h.version != 2) __builtin_trap();
      if (h.local != h.source_address.empty() || h.local != h.destination_address.empty()) {
        __builtin_trap();
      }
      const auto exact = parse_proxy_header(all.first(h.size));
      if (exact.status != proxy_parse_status::complete || !(exact.header == h)) __builtin_trap();
      if (parse_proxy_header(all.first(h.size - 1)).status != proxy_parse_status::need_more) {
        __builtin_trap();
      }
      break;
    }
  }

  if (size > 0) {
    const auto shorter = parse_proxy_header(all.first(size - 1));
    if (shorter.status == proxy_parse_status::complete &&
        (r.status != proxy_parse_status::complete || !(r.header == shorter.header))) {
      __builtin_trap();
    }
    if (shorter.status == proxy_parse_status::invalid && r.status != proxy_parse_status::invalid) {
      __builtin_trap();
    }
  }
  return 0;
}
