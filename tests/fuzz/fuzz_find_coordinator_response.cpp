// libFuzzer target for the FindCoordinator response codec. Input: first byte picks the
// version (mod 8, so 7 exercises the unknown-version path), the rest is the body.
#include <cstddef>
#include <cstdint>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/find_coordinator_response.h"

using namespace kpp::protocol;
using kpp::fuzz::fixed_map;
using kpp::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 8);
  if (!in) return 0;
  const std::int16_t version = in->version;
  const auto run = kpp::fuzz::run_strict_codec(*in, decode_find_coordinator_response,
                                               encode_find_coordinator_response,
                                               rewrite_find_coordinator_response);
  const auto& view = run.view;
  const auto& stats = run.stats;
  if (!view) return 0;
  const bool batched = version >= find_coordinator_first_batched_version;
  bool refused = !batched && view->node_id == 666;
  for (const auto& c : view->coordinators) refused = refused || c.node_id == 666;
  if (refused != !stats) __builtin_trap();
  if (!stats || !stats->changed) return 0;
  if (stats->addresses != (batched ? view->coordinators.size() : 1)) __builtin_trap();

  const auto rewritten = decode_find_coordinator_response(run.rewritten(), version);
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
