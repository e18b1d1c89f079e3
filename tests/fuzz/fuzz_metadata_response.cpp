// libFuzzer target for the Metadata response codec. Input: first byte picks the version
// (mod 15, so 14 exercises the unknown-version path), the rest is the body.
#include <cstddef>
#include <cstdint>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/metadata_response.h"

using namespace kpp::protocol;
using kpp::fuzz::fixed_map;
using kpp::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 15);
  if (!in) return 0;
  const auto run = kpp::fuzz::run_strict_codec(*in, decode_metadata_response,
                                               encode_metadata_response, rewrite_metadata_response);
  const auto& view = run.view;
  const auto& stats = run.stats;
  if (!view) return 0;
  bool refused = false;
  for (const auto& b : view->brokers) refused = refused || b.node_id == 666;
  if (refused != !stats) __builtin_trap();  // a decodable body rewrites unless refused
  if (!stats || !stats->changed) return 0;
  if (stats->addresses != view->brokers.size()) __builtin_trap();

  // The output decodes, and only host/port differ.
  const auto rewritten = decode_metadata_response(run.rewritten(), in->version);
  if (!rewritten || rewritten->brokers.size() != view->brokers.size()) __builtin_trap();
  for (std::size_t i = 0; i < view->brokers.size(); ++i) {
    const auto& a = view->brokers[i];
    const auto& b = rewritten->brokers[i];
    const auto m = fixed_map({a.node_id, a.host, a.port, endpoint_kind::broker});
    if (b.node_id != a.node_id || b.rack != a.rack || !same(a.tagged_fields, b.tagged_fields) ||
        b.host != m->host || b.port != m->port) {
      __builtin_trap();
    }
  }
  if (rewritten->cluster_id != view->cluster_id ||
      rewritten->controller_id != view->controller_id || !same(rewritten->topics, view->topics) ||
      rewritten->error_code != view->error_code ||
      !same(rewritten->tagged_fields, view->tagged_fields)) {
    __builtin_trap();
  }
  return 0;
}
