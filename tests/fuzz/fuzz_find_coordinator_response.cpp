// libFuzzer target for the FindCoordinator response codec. Input: first byte picks the
// version (mod 8, so 7 exercises the unknown-version path), the rest is the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kpp/protocol/find_coordinator_response.h"

namespace {

using namespace kpp::protocol;

// Refuses node 666 so the unmapped path is reachable; negative ids pass as ""/-1.
std::optional<advertised_endpoint> fixed_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".px", 31000 + e.node_id};
}

bool same(bytes_view a, bytes_view b) {
  return std::ranges::equal(a, b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto version = static_cast<std::int16_t>(data[0] % 8);
  const bytes_view body(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  const auto view = decode_find_coordinator_response(body, version);
  if (view) {
    byte_buffer again;
    if (!encode_find_coordinator_response(*view, again) || !same(again, body)) __builtin_trap();
  }

  const byte_buffer header{std::byte{0x5A}};
  byte_buffer out = header;
  const auto stats = rewrite_find_coordinator_response(body, version, fixed_map, out);
  if (!stats || !stats->changed) {
    if (out != header) __builtin_trap();
  }
  if (!view) return 0;
  const bool batched = version >= find_coordinator_first_batched_version;
  bool refused = !batched && view->node_id == 666;
  for (const auto& c : view->coordinators) refused = refused || c.node_id == 666;
  if (refused != !stats) __builtin_trap();
  if (!stats || !stats->changed) return 0;
  if (stats->addresses != (batched ? view->coordinators.size() : 1)) __builtin_trap();

  const auto rewritten = decode_find_coordinator_response(bytes_view(out).subspan(1), version);
  if (!rewritten || rewritten->coordinators.size() != view->coordinators.size()) {
    __builtin_trap();
  }
  if (!batched) {
    const auto m = fixed_map({view->node_id, view->host, view->port, endpoint_kind::broker});
    if (rewritten->node_id != view->node_id || rewritten->host != m->host ||
        rewritten->port != m->port || rewritten->error_code != view->error_code ||
        rewritten->error_message != view->error_message) {
      __builtin_trap();
    }
  }
  for (std::size_t i = 0; i < view->coordinators.size(); ++i) {
    const auto& a = view->coordinators[i];
    const auto& b = rewritten->coordinators[i];
    const auto m = fixed_map({a.node_id, a.host, a.port, endpoint_kind::broker});
    if (b.key != a.key || b.node_id != a.node_id || b.error_code != a.error_code ||
        b.error_message != a.error_message || !same(a.tagged_fields, b.tagged_fields) ||
        b.host != m->host || b.port != m->port) {
      __builtin_trap();
    }
  }
  if (rewritten->throttle_time_ms != view->throttle_time_ms ||
      !same(rewritten->tagged_fields, view->tagged_fields)) {
    __builtin_trap();
  }
  return 0;
}
