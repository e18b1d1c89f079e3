// libFuzzer target: DescribeQuorum response walk (v0-v2), Nodes decode/encode and the v2
// controller listener rewrite. Input: first byte = version (mod 4), rest = body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/describe_quorum_response.h"

using namespace kpp::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 4);
  if (!in) return 0;
  const auto [version, body] = *in;
  const address_mapper map = [](const endpoint& e) -> std::optional<advertised_endpoint> {
    if (e.node_id % 2 != 0) return std::nullopt;
    return advertised_endpoint{"c" + std::to_string(e.node_id) + ".fuzz", 19000};
  };
  auto layout = scan_describe_quorum_response(body, version);
  if (layout && version == 2) {
    // Nodes decode, and their encoding is a fixed point (the input may spell a varint
    // non-minimally, so byte equality with it is not required).
    auto nodes = decode_quorum_nodes(layout->nodes);
    if (!nodes) std::abort();
    byte_buffer again;
    wire_writer w{again};
    encode_quorum_nodes(w, *nodes);
    auto redecoded = decode_quorum_nodes(again);
    if (!redecoded) std::abort();
    byte_buffer twice;
    wire_writer w2{twice};
    encode_quorum_nodes(w2, *redecoded);
    if (twice != again) std::abort();
  }
  kpp::fuzz::check_walk_rewrite(*in, scan_describe_quorum_response,
                                rewrite_describe_quorum_response, map);
  return 0;
}
