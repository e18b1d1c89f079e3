#include "kpp/app/status_source.h"

#include <map>
#include <vector>

#include "kpp/routing/map_hash.h"

#ifndef KPP_VERSION
#define KPP_VERSION "unknown"
#endif

namespace kpp::app {

namespace {

// Session ends that are not an error worth an operator's look.
bool normal_close(admin::close_reason r) {
  return r == admin::close_reason::client_closed || r == admin::close_reason::upstream_closed ||
         r == admin::close_reason::shutdown;
}

}  // namespace

admin::status_snapshot build_status(const admin::registry& metrics,
                                    const routing::broker_map* brokers, readiness ready,
                                    admin::error_history& history,
                                    std::chrono::steady_clock::time_point now) {
  admin::status_snapshot s;
  s.version = KPP_VERSION;
  s.ready = ready.ready;
  s.not_ready_reason = std::move(ready.reason);
  s.degraded = std::move(ready.degraded);
  s.discovery_passive = metrics.discovery_passive();
  if (auto age = metrics.discovery_age(now))
    s.discovery_age_seconds = std::chrono::duration<double>(*age).count();
  s.discovery_failures = metrics.discovery_failures();
  s.max_connections = metrics.max_connections();
  s.map_hash = static_cast<std::uint64_t>(metrics.broker_map_hash());

  // Connections by node id (a broker's listener may have had several ports over time: a
  // sequential map after a restart; sum them) and by bootstrap port.
  std::map<std::int32_t, admin::registry::listener_sample> by_node;
  for (const auto& l : metrics.listener_samples()) {
    s.connections_open += l.open;
    if (l.labels.kind == admin::listener_kind::bootstrap) {
      s.bootstrap.push_back({l.labels.port, l.open, l.total});
    } else if (l.labels.node_id) {
      auto& sum = by_node[*l.labels.node_id];
      sum.open += l.open;
      sum.total += l.total;
      sum.bytes_client_to_upstream += l.bytes_client_to_upstream;
      sum.bytes_upstream_to_client += l.bytes_upstream_to_client;
    }
  }
  if (brokers) {
    for (const auto& r : brokers->snapshot()) {
      admin::broker_status b;
      b.node_id = r.node_id;
      if (r.upstream) b.upstream = r.upstream->str();
      if (r.local_listener) b.listen = r.listen.str();
      b.advertised = r.advertised.str();
      if (auto it = by_node.find(r.node_id); it != by_node.end()) {
        b.connections_open = it->second.open;
        b.connections_total = it->second.total;
        b.bytes_client_to_upstream = it->second.bytes_client_to_upstream;
        b.bytes_upstream_to_client = it->second.bytes_upstream_to_client;
      }
      s.brokers.push_back(std::move(b));
    }
  }

  // Every error counter in one fixed order, so the history can subtract vectors.
  std::vector<admin::error_status> all;
  std::vector<std::uint64_t> totals;
  for (std::size_t i = 0; i < admin::protocol_error_cause_count; ++i) {
    const auto c = static_cast<admin::protocol_error_cause>(i);
    all.push_back({"protocol_error", std::string(admin::to_string(c)), 0, 0});
    totals.push_back(metrics.protocol_errors(c));
  }
  for (std::size_t i = 0; i < admin::close_reason_count; ++i) {
    const auto r = static_cast<admin::close_reason>(i);
    if (normal_close(r)) continue;
    all.push_back({"session_closed", std::string(admin::to_string(r)), 0, 0});
    totals.push_back(metrics.sessions_closed(r));
  }
  all.push_back({"upstream_dial", "dial_failed", 0, 0});
  totals.push_back(metrics.dial_errors());
  const auto recent = history.observe(now, totals);
  s.recent_window_seconds = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(recent.span).count());
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (totals[i] == 0) continue;
    all[i].total = totals[i];
    all[i].recent = recent.counts[i];
    s.errors.push_back(std::move(all[i]));
  }
  return s;
}

}  // namespace kpp::app
