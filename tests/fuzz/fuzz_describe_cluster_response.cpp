// libFuzzer target for the DescribeCluster response codec. Input: first byte picks the
// version (mod 4, so 3 exercises the unknown-version path), the rest is the body.
#include <cstddef>
#include <cstdint>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/describe_cluster_response.h"

using namespace kpp::protocol;
using kpp::fuzz::fixed_map;
using kpp::fuzz::same;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 4);
  if (!in) return 0;
  const auto run = kpp::fuzz::run_strict_codec(*in, decode_describe_cluster_response,
                                               encode_describe_cluster_response,
                                               rewrite_describe_cluster_response);
  const auto& view = run.view;
  const auto& stats = run.stats;
  if (!view) return 0;
  bool refused = false;
  for (const auto& b : view->brokers) refused = refused || b.broker_id == 666;
  if (refused != !stats) __builtin_trap();
  if (!stats || !stats->changed) return 0;
  if (stats->addresses != view->brokers.size()) __builtin_trap();

  const auto rewritten = decode_describe_cluster_response(run.rewritten(), in->version);
  if (!rewritten || rewritten->brokers.size() != view->brokers.size()) __builtin_trap();
  const auto kind = view->endpoint_type == describe_cluster_endpoint_controllers
                        ? endpoint_kind::controller
                        : endpoint_kind::broker;
  for (std::size_t i = 0; i < view->brokers.size(); ++i) {
    const auto& a = view->brokers[i];
    const auto& b = rewritten->brokers[i];
    const auto m = fixed_map({a.broker_id, a.host, a.port, kind});
    if (b.broker_id != a.broker_id || b.rack != a.rack || b.is_fenced != a.is_fenced ||
        !same(a.tagged_fields, b.tagged_fields) || b.host != m->host || b.port != m->port) {
      __builtin_trap();
    }
  }
  if (rewritten->cluster_id != view->cluster_id ||
      rewritten->controller_id != view->controller_id ||
      rewritten->endpoint_type != view->endpoint_type ||
      rewritten->cluster_authorized_operations != view->cluster_authorized_operations ||
      !same(rewritten->tagged_fields, view->tagged_fields)) {
    __builtin_trap();
  }
  return 0;
}
