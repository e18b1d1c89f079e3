#include "kpp/admin/json_writer.h"
#include "kpp/admin/status.h"

namespace kpp::admin {

std::string render_status_json(const status_snapshot& s) {
  json_writer j;
  j.begin_object();
  j.field("version", s.version);
  j.key("ready").begin_object();
  j.field("ready", s.ready);
  j.field("reason", s.not_ready_reason);
  j.field("degraded", s.degraded);
  j.end_object();
  j.key("discovery").begin_object();
  j.key("age_seconds");
  if (s.discovery_age_seconds)
    j.value(*s.discovery_age_seconds);
  else
    j.null();
  j.field("failures_total", s.discovery_failures);
  j.field("passive", s.discovery_passive);
  j.end_object();
  j.key("connections").begin_object();
  j.field("open", s.connections_open);
  j.field("max", s.max_connections);
  j.end_object();
  j.field("map_hash", s.map_hash);
  j.key("brokers").begin_array();
  for (const auto& b : s.brokers) {
    j.begin_object();
    j.field("node_id", b.node_id);
    j.field("upstream", b.upstream);
    j.field("listen", b.listen);
    j.field("advertised", b.advertised);
    j.field("connections_open", b.connections_open);
    j.field("connections_total", b.connections_total);
    j.field("bytes_client_to_upstream", b.bytes_client_to_upstream);
    j.field("bytes_upstream_to_client", b.bytes_upstream_to_client);
    j.end_object();
  }
  j.end_array();
  j.key("bootstrap").begin_array();
  for (const auto& b : s.bootstrap) {
    j.begin_object();
    j.field("port", static_cast<unsigned>(b.port));
    j.field("connections_open", b.connections_open);
    j.field("connections_total", b.connections_total);
    j.end_object();
  }
  j.end_array();
  j.key("errors").begin_object();
  j.field("recent_window_seconds", s.recent_window_seconds);
  j.key("causes").begin_array();
  for (const auto& e : s.errors) {
    j.begin_object();
    j.field("kind", e.kind);
    j.field("cause", e.cause);
    j.field("total", e.total);
    j.field("recent", e.recent);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  j.end_object();
  std::string out = j.take();
  out += '\n';
  return out;
}

}  // namespace kpp::admin
