// libFuzzer target: Produce response walk and KIP-951 NodeEndpoints rewrite.
// Input: first byte = version (mod 16, so invalid versions are exercised too), rest = body.
#include <cstdlib>
#include <string>

#include "kpp/protocol/produce_response.h"

using namespace kpp::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto version = static_cast<std::int16_t>(data[0] % 16);
  const bytes_view body{reinterpret_cast<const std::byte*>(data + 1), size - 1};
  // Refuses odd node ids, so both the mapped and the fail-closed paths run.
  const address_mapper map = [](const endpoint& e) -> std::optional<advertised_endpoint> {
    if (e.node_id % 2 != 0) return std::nullopt;
    return advertised_endpoint{"b" + std::to_string(e.node_id) + ".fuzz", 9000};
  };
  (void)scan_produce_response(body, version);
  byte_buffer out;
  auto stats = rewrite_produce_response(body, version, map, out);
  // A rewritten body must walk again, and an unchanged or failed one leaves out empty.
  if (stats && stats->changed) {
    if (!scan_produce_response(out, version)) std::abort();
  } else if (!out.empty()) {
    std::abort();
  }
  return 0;
}
