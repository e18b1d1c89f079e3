// libFuzzer target: Produce response walk and KIP-951 NodeEndpoints rewrite.
// Input: first byte = version (mod 16, so invalid versions are exercised too), rest = body.
#include <cstddef>
#include <cstdint>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/produce_response.h"

using namespace kpp::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 16);
  if (!in) return 0;
  (void)scan_produce_response(in->body, in->version);
  kpp::fuzz::check_walk_rewrite(*in, scan_produce_response, rewrite_produce_response,
                                kpp::fuzz::odd_refusing_map);
  return 0;
}
