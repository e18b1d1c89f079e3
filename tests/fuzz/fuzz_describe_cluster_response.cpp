// libFuzzer target for the DescribeCluster response codec. Input: first byte picks the
// version (mod 4, so 3 exercises the unknown-version path), the rest is the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kpp/protocol/describe_cluster_response.h"

namespace {

using namespace kpp::protocol;

// Refuses node 666 so the unmapped path is reachable; controllers get their own hosts.
std::optional<advertised_endpoint> fixed_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  const char* prefix = e.kind == endpoint_kind::controller ? "c" : "b";
  return advertised_endpoint{prefix + std::to_string(e.node_id) + ".px", 31000 + e.node_id};
}

bool same(bytes_view a, bytes_view b) {
  return std::ranges::equal(a, b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto version = static_cast<std::int16_t>(data[0] % 4);
  const bytes_view body(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  const auto view = decode_describe_cluster_response(body, version);
  if (view) {
    byte_buffer again;
    if (!encode_describe_cluster_response(*view, again) || !same(again, body)) __builtin_trap();
  }

  const byte_buffer header{std::byte{0x5A}};
  byte_buffer out = header;
  const auto stats = rewrite_describe_cluster_response(body, version, fixed_map, out);
  if (!stats || !stats->changed) {
    if (out != header) __builtin_trap();
  }
  if (!view) return 0;
  bool refused = false;
  for (const auto& b : view->brokers) refused = refused || b.broker_id == 666;
  if (refused != !stats) __builtin_trap();
  if (!stats || !stats->changed) return 0;
  if (stats->addresses != view->brokers.size()) __builtin_trap();

  const auto rewritten = decode_describe_cluster_response(bytes_view(out).subspan(1), version);
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
