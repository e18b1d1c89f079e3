// libFuzzer target: ShareFetch response walk and NodeEndpoints rewrite.
// Input: first byte = version (mod 2, so invalid versions are exercised too), rest = body.
#include <cstddef>
#include <cstdint>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/share_fetch_response.h"

using namespace kpp::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 2);
  if (!in) return 0;
  (void)scan_share_fetch_response(in->body, in->version);
  kpp::fuzz::check_walk_rewrite(*in, scan_share_fetch_response, rewrite_share_fetch_response,
                                kpp::fuzz::odd_refusing_map);
  return 0;
}
