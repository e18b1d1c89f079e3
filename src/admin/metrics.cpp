#include "kpp/admin/metrics.h"

#include <array>
#include <charconv>
#include <limits>

#include "kpp/admin/prometheus_text.h"

#ifndef KPP_VERSION
#define KPP_VERSION "unknown"
#endif

namespace kpp::admin {

namespace {

using net::close_reason_names;
using net::protocol_error_cause_names;

// A label value rendered from an integer without allocating.
struct int_text {
  std::array<char, 16> buf{};
  std::size_t len = 0;
  explicit int_text(std::int64_t v) {
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    (void)ec;  // 16 chars hold any int32/uint16 we render
    len = static_cast<std::size_t>(end - buf.data());
  }
  [[nodiscard]] std::string_view view() const { return {buf.data(), len}; }
};

using prom::append_family;
using prom::append_sample;
using prom::label;

void render_per_api(std::string& out, std::string_view name, std::string_view help,
                    const std::array<counter, api_key_slots + 1>& counts) {
  append_family(out, name, "counter", help);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    std::uint64_t v = counts[i].value();
    if (v == 0) continue;  // 129 mostly-zero series per family would drown the useful ones
    int_text key(static_cast<std::int64_t>(i));
    const label l[] = {{"api_key", i == api_key_slots ? std::string_view("other") : key.view()}};
    append_sample(out, name, l, v);
  }
}

void render_scalar(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::uint64_t v) {
  append_family(out, name, type, help);
  append_sample(out, name, {}, v);
}

void render_gauge(std::string& out, std::string_view name, std::string_view help, std::int64_t v) {
  append_family(out, name, "gauge", help);
  append_sample(out, name, {}, v);
}

void render_info(std::string& out, std::string_view name, std::string_view help,
                 const label_set& labels) {
  append_family(out, name, "gauge", help);
  std::vector<label> ls;
  ls.reserve(labels.size());
  for (const auto& [k, v] : labels) ls.push_back({k, v});
  append_sample(out, name, ls, std::int64_t{1});
}

}  // namespace

std::string_view to_string(listener_kind k) noexcept {
  return k == listener_kind::bootstrap ? "bootstrap" : "broker";
}

registry::registry() : build_info_{{"version", KPP_VERSION}} {}

std::shared_ptr<listener_metrics> registry::listener(const listener_labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot_ref = listeners_[labels];
  if (!slot_ref) slot_ref = std::make_shared<listener_metrics>(labels);
  return slot_ref;
}

std::shared_ptr<psc_connection_metrics> registry::psc_connection(std::string_view id) {
  std::lock_guard lock(mu_);
  const auto now = ++psc_clock_;
  auto it = psc_connections_.find(id);
  if (it == psc_connections_.end() && psc_connections_.size() >= max_psc_connection_ids) {
    // Full: evict the least recently used idle series (a linear scan, only for a new id).
    auto victim = psc_connections_.end();
    for (auto i = psc_connections_.begin(); i != psc_connections_.end(); ++i) {
      if (i->first == "_overflow" || i->second.metrics->connections.open() > 0) continue;
      if (victim == psc_connections_.end() || i->second.last_used < victim->second.last_used)
        victim = i;
    }
    if (victim != psc_connections_.end()) {
      psc_connections_.erase(victim);
    } else {
      it = psc_connections_.find(std::string_view("_overflow"));
      if (it == psc_connections_.end())
        it = psc_connections_
                 .emplace("_overflow",
                          psc_slot{std::make_shared<psc_connection_metrics>("_overflow"), 0})
                 .first;
    }
  }
  if (it == psc_connections_.end())
    it = psc_connections_
             .emplace(std::string(id),
                      psc_slot{std::make_shared<psc_connection_metrics>(std::string(id)), 0})
             .first;
  it->second.last_used = now;
  return it->second.metrics;
}

void registry::discovery_succeeded(std::chrono::system_clock::time_point wall,
                                   std::chrono::steady_clock::time_point mono) noexcept {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  discovery_last_success_unix_ns_.store(duration_cast<nanoseconds>(wall.time_since_epoch()).count(),
                                        std::memory_order_relaxed);
  discovery_last_success_steady_ns_.store(
      duration_cast<nanoseconds>(mono.time_since_epoch()).count(), std::memory_order_relaxed);
  // Release: a reader that sees the flag also sees the times stored above.
  discovery_ever_succeeded_.store(true, std::memory_order_release);
}

std::optional<std::chrono::steady_clock::duration> registry::discovery_age(
    std::chrono::steady_clock::time_point now) const noexcept {
  if (!discovery_ever_succeeded_.load(std::memory_order_acquire)) return std::nullopt;
  std::chrono::steady_clock::time_point last(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(
          discovery_last_success_steady_ns_.load(std::memory_order_relaxed))));
  return now - last;
}

void registry::set_keepalive_info(label_set labels) {
  std::lock_guard lock(mu_);
  keepalive_info_ = std::move(labels);
}

void registry::set_build_info(label_set labels) {
  std::lock_guard lock(mu_);
  build_info_ = std::move(labels);
}

std::vector<registry::listener_sample> registry::listener_samples() const {
  std::lock_guard lock(mu_);
  std::vector<listener_sample> out;
  out.reserve(listeners_.size());
  for (const auto& [labels, m] : listeners_)
    out.push_back({labels, m->connections.open(), m->connections.total(),
                   m->bytes_client_to_upstream.value(), m->bytes_upstream_to_client.value()});
  return out;
}

void registry::render_prometheus(std::string& out) const {
  render_prometheus(out, std::chrono::steady_clock::now());
}

void registry::render_prometheus(std::string& out,
                                 std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mu_);

  render_info(out, "build_info", "Build information; the value is always 1.", build_info_);
  render_gauge(out, "ready", "1 when the proxy reports ready, else 0.", ready_.value());
  render_gauge(out, "max_connections", "The connection limit (limits.max_connections).",
               max_connections_.value());
  if (!keepalive_info_.empty()) {
    render_info(out, "keepalive_info", "TCP keepalive settings; the value is always 1.",
                keepalive_info_);
  }

  // Per listener.
  struct listener_family {
    std::string_view name, type, help;
    std::uint64_t (*value)(const listener_metrics&);
  };
  static constexpr listener_family listener_families[] = {
      {"listener_connections_open", "gauge", "Client connections currently open.",
       [](const listener_metrics& m) {
         auto v = m.connections.open();
         return static_cast<std::uint64_t>(v < 0 ? 0 : v);
       }},
      {"listener_connections_total", "counter", "Client connections accepted.",
       [](const listener_metrics& m) { return m.connections.total(); }},
      {"listener_client_to_upstream_bytes_total", "counter",
       "Bytes forwarded from clients to upstream brokers.",
       [](const listener_metrics& m) { return m.bytes_client_to_upstream.value(); }},
      {"listener_upstream_to_client_bytes_total", "counter",
       "Bytes forwarded from upstream brokers to clients.",
       [](const listener_metrics& m) { return m.bytes_upstream_to_client.value(); }},
  };
  for (const auto& f : listener_families) {
    append_family(out, f.name, f.type, f.help);
    for (const auto& [labels, m] : listeners_) {
      int_text port(labels.port);
      int_text node(labels.node_id.value_or(0));
      const label ls[] = {{"listener", to_string(labels.kind)},
                          {"port", port.view()},
                          {"node_id", labels.node_id ? node.view() : std::string_view()}};
      append_sample(out, f.name, ls, f.value(*m));
    }
  }

  // Per PSC connection id.
  append_family(out, "psc_connections_open", "gauge",
                "Client connections currently open, by PSC connection id (PROXY v2 TLV).");
  for (const auto& [id, slot] : psc_connections_) {
    const label ls[] = {{"psc_connection_id", id}};
    append_sample(out, "psc_connections_open", ls, slot.metrics->connections.open());
  }
  append_family(out, "psc_connections_total", "counter",
                "Client connections accepted, by PSC connection id (PROXY v2 TLV).");
  for (const auto& [id, slot] : psc_connections_) {
    const label ls[] = {{"psc_connection_id", id}};
    append_sample(out, "psc_connections_total", ls, slot.metrics->connections.total());
  }

  // Requests and rewrites.
  render_per_api(out, "requests_total", "Requests forwarded, by API key.", requests_);
  render_per_api(out, "rewrites_total", "Responses rewritten, by API key.", rewrites_);
  render_per_api(out, "rewrite_failures_total",
                 "Responses whose rewrite failed (session closed), by API key.", rewrite_failures_);
  render_scalar(out, "node_endpoints_dropped_total", "counter",
                "Streamed Fetch responses whose KIP-951 NodeEndpoints did not fit the reserve "
                "and was dropped (clients refresh metadata instead).",
                node_endpoints_dropped_.value());

  // Errors and session ends.
  render_scalar(out, "upstream_dial_errors_total", "counter",
                "Failed connection attempts to upstream brokers.", dial_errors_.value());
  append_family(out, "protocol_errors_total", "counter", "Protocol errors, by cause.");
  for (std::size_t i = 0; i < protocol_error_cause_count; ++i) {
    const label ls[] = {{"cause", protocol_error_cause_names[i]}};
    append_sample(out, "protocol_errors_total", ls, protocol_errors_[i].value());
  }
  append_family(out, "sessions_closed_total", "counter", "Sessions closed, by reason.");
  for (std::size_t i = 0; i < close_reason_count; ++i) {
    const label ls[] = {{"reason", close_reason_names[i]}};
    append_sample(out, "sessions_closed_total", ls, sessions_closed_[i].value());
  }

  // Discovery.
  bool ever = discovery_ever_succeeded_.load(std::memory_order_acquire);
  append_family(out, "discovery_last_success_timestamp_seconds", "gauge",
                "Unix time of the last successful discovery; 0 if none yet.");
  append_sample(
      out, "discovery_last_success_timestamp_seconds", {},
      ever ? static_cast<double>(discovery_last_success_unix_ns_.load(std::memory_order_relaxed)) /
                 1e9
           : 0.0);
  // +Inf before the first success: "never" is older than any alert threshold.
  auto age = discovery_age(now);
  append_family(out, "discovery_age_seconds", "gauge",
                "Seconds since the last successful discovery; +Inf if none yet.");
  append_sample(
      out, "discovery_age_seconds", {},
      age ? std::chrono::duration<double>(*age).count() : std::numeric_limits<double>::infinity());
  render_scalar(out, "discovery_failures_total", "counter", "Failed discovery rounds.",
                discovery_failures_.value());
  render_gauge(out, "brokers", "Brokers known from the last successful discovery.",
               brokers_.value());
  render_gauge(out, "discovery_passive",
               "1 while discovery cannot read Metadata because the brokers require SASL and it "
               "has no login (set discovery.sasl): brokers are learnt from client responses.",
               discovery_passive_.value());
  render_gauge(out, "brokers_without_listener",
               "Brokers the last discovery could not give a listener (collision, range, bind).",
               brokers_without_listener_.value());
  render_gauge(out, "broker_map_hash",
               "Hash of the map clients are told (node, advertised address, listen port); "
               "replicas serving the same map export the same value.",
               broker_map_hash_.value());
  render_scalar(out, "port_map_changes_total", "counter", "Times the broker-to-port map changed.",
                port_map_changes_.value());
  render_scalar(out, "port_collisions_total", "counter",
                "Brokers refused because their port was already taken.", port_collisions_.value());
  render_scalar(out, "brokers_out_of_port_range_total", "counter",
                "Brokers refused because their node id maps outside the port range.",
                brokers_out_of_range_.value());
}

registry& global_registry() {
  static registry r;
  return r;
}

}  // namespace kpp::admin
