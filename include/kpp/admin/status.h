// What the status page (admin `/`) and /status.json show: one snapshot, two renderings, so
// the page a person reads and the JSON a script reads cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kpp::admin {

struct broker_status {
  std::int32_t node_id = 0;
  std::string upstream;    // where the broker really is; empty until seen
  std::string listen;      // the proxy's listener; empty when served elsewhere (external)
  std::string advertised;  // what clients are told
  std::int64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t bytes_client_to_upstream = 0;
  std::uint64_t bytes_upstream_to_client = 0;
};

struct bootstrap_status {
  std::uint16_t port = 0;
  std::int64_t connections_open = 0;
  std::uint64_t connections_total = 0;
};

// One error cause: a protocol error or a session close that is not a normal end.
struct error_status {
  std::string kind;   // "protocol_error", "session_closed", "upstream_dial"
  std::string cause;  // the label value on /metrics
  std::uint64_t total = 0;
  std::uint64_t recent = 0;  // within recent_window_seconds
};

struct status_snapshot {
  std::string version;
  bool ready = false;
  std::string not_ready_reason;
  std::string degraded;  // ready, but serving less than it could (e.g. passive discovery)
  bool discovery_passive = false;
  std::optional<double> discovery_age_seconds;  // empty: no discovery yet
  std::uint64_t discovery_failures = 0;
  std::int64_t connections_open = 0;
  std::int64_t max_connections = 0;
  std::uint64_t map_hash = 0;
  std::vector<broker_status> brokers;       // by node id
  std::vector<bootstrap_status> bootstrap;  // by port
  std::vector<error_status> errors;         // only causes seen at least once
  std::uint64_t recent_window_seconds = 0;  // how far back `recent` reaches
  int refresh_seconds = 5;                  // the page reloads itself this often
};

// A self-contained HTML page: inline CSS, no script, no external asset; <meta refresh>.
[[nodiscard]] std::string render_status_html(const status_snapshot& s);
[[nodiscard]] std::string render_status_json(const status_snapshot& s);

}  // namespace kpp::admin
