// The process-wide metrics registry. The hot path only touches relaxed atomics through
// references it obtained once (at listener open or connection accept); registration and
// rendering take a mutex, which the data path never does per request or per byte.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpp/net/close_reason.h"

namespace kpp::admin {

// The session's close reasons and protocol-error causes are net's vocabulary
// (kpp/net/close_reason.h, header-only, no asio); admin counts and renders them.
using net::close_reason;
using net::close_reason_count;
using net::protocol_error_cause;
using net::protocol_error_cause_count;
using net::to_string;

// A monotonically increasing count. Relaxed ordering: a scrape needs no ordering with other
// memory, only an eventually visible total.
class counter {
 public:
  void add(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class gauge {
 public:
  void inc() noexcept { v_.fetch_add(1, std::memory_order_relaxed); }
  void dec() noexcept { v_.fetch_sub(1, std::memory_order_relaxed); }
  void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Open connections (gauge) and connections ever accepted (counter), always moved together.
class connection_counts {
 public:
  void opened() noexcept {
    open_.inc();
    total_.add();
  }
  void closed() noexcept { open_.dec(); }
  [[nodiscard]] std::int64_t open() const noexcept { return open_.value(); }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_.value(); }

 private:
  gauge open_;
  counter total_;
};

enum class listener_kind : std::uint8_t { broker, bootstrap };
[[nodiscard]] std::string_view to_string(listener_kind k) noexcept;

// Label set {listener, port, node_id}; node_id is empty for bootstrap listeners.
struct listener_labels {
  listener_kind kind = listener_kind::broker;
  std::uint16_t port = 0;
  std::optional<std::int32_t> node_id;
  friend auto operator<=>(const listener_labels&, const listener_labels&) = default;
};

// Held by a listener and each of its sessions (shared_ptr), updated without locks.
class listener_metrics {
 public:
  explicit listener_metrics(listener_labels labels) : labels_(labels) {}
  [[nodiscard]] const listener_labels& labels() const noexcept { return labels_; }

  connection_counts connections;
  counter bytes_client_to_upstream;
  counter bytes_upstream_to_client;

 private:
  listener_labels labels_;
};

// Connections by PSC connection id (PROXY protocol v2 TLV, GCP Private Service Connect).
class psc_connection_metrics {
 public:
  explicit psc_connection_metrics(std::string id) : id_(std::move(id)) {}
  [[nodiscard]] const std::string& id() const noexcept { return id_; }

  connection_counts connections;

 private:
  std::string id_;
};

// RAII: counts a connection open for as long as the guard lives. Keeps the metrics object
// alive, so a session may outlive the listener that accepted it.
class connection_guard {
 public:
  connection_guard() = default;
  template <class Metrics>  // listener_metrics or psc_connection_metrics
  explicit connection_guard(std::shared_ptr<Metrics> owner)
      : counts_(owner, owner ? &owner->connections : nullptr) {
    if (counts_) counts_->opened();
  }
  connection_guard(connection_guard&&) noexcept = default;
  connection_guard& operator=(connection_guard&& other) noexcept {
    if (this != &other) {
      release();
      counts_ = std::move(other.counts_);
    }
    return *this;
  }
  connection_guard(const connection_guard&) = delete;
  connection_guard& operator=(const connection_guard&) = delete;
  ~connection_guard() { release(); }

 private:
  void release() noexcept {
    if (counts_) counts_->closed();
    counts_.reset();
  }
  std::shared_ptr<connection_counts> counts_;  // aliases the owning metrics object
};

// Ordered (name, value) label pairs for info metrics.
using label_set = std::vector<std::pair<std::string, std::string>>;

// API keys 0..127 get their own series; anything else (a future or garbage key) lands in
// the "other" bucket, so a hostile client cannot grow the registry.
inline constexpr std::size_t api_key_slots = 128;

class registry {
 public:
  // At most this many distinct PSC connection ids get their own series. A new id beyond
  // that takes the place of the least recently used id with no open connection (its counts
  // are dropped: a counter reset to Prometheus); only when every series has connections
  // open does it share psc_connection_id="_overflow". A client forging ids (PROXY protocol
  // without allowed_sources) thus cannot pin the series of real endpoints out for good.
  static constexpr std::size_t max_psc_connection_ids = 1024;

  registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registration (may lock). The same labels return the same object, so counters survive
  // a listener being closed and reopened (e.g. on reload).
  [[nodiscard]] std::shared_ptr<listener_metrics> listener(const listener_labels& labels);
  [[nodiscard]] std::shared_ptr<psc_connection_metrics> psc_connection(std::string_view id);

  // Hot path: lock-free, allocation-free.
  void count_request(std::int16_t api_key) noexcept { requests_[slot(api_key)].add(); }
  void count_rewrite(std::int16_t api_key) noexcept { rewrites_[slot(api_key)].add(); }
  void count_rewrite_failure(std::int16_t api_key) noexcept {
    rewrite_failures_[slot(api_key)].add();
  }
  void count_dial_error() noexcept { dial_errors_.add(); }
  // A streamed Fetch response whose KIP-951 NodeEndpoints did not fit the reserve.
  void count_node_endpoints_dropped() noexcept { node_endpoints_dropped_.add(); }
  void count_protocol_error(protocol_error_cause c) noexcept {
    protocol_errors_[static_cast<std::size_t>(c)].add();
  }
  void count_session_closed(close_reason r) noexcept {
    sessions_closed_[static_cast<std::size_t>(r)].add();
  }

  // Discovery.
  void discovery_succeeded(std::chrono::system_clock::time_point wall,
                           std::chrono::steady_clock::time_point mono) noexcept;
  void discovery_succeeded() noexcept {
    discovery_succeeded(std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  }
  void count_discovery_failure() noexcept { discovery_failures_.add(); }
  // Passive discovery: the brokers require SASL and discovery has no login (pass-through SASL
  // without discovery.sasl), so brokers are learnt only from the responses clients receive.
  void set_discovery_passive(bool passive) noexcept { discovery_passive_.set(passive ? 1 : 0); }
  [[nodiscard]] bool discovery_passive() const noexcept { return discovery_passive_.value() != 0; }
  void set_broker_count(std::size_t n) noexcept { brokers_.set(static_cast<std::int64_t>(n)); }
  void count_port_map_change() noexcept { port_map_changes_.add(); }
  void count_port_collision() noexcept { port_collisions_.add(); }
  void count_broker_out_of_port_range() noexcept { brokers_out_of_range_.add(); }

  // Info and state.
  void set_keepalive_info(label_set labels);
  void set_build_info(label_set labels);  // default: {version=KPP_VERSION}
  void set_ready(bool ready) noexcept { ready_.set(ready ? 1 : 0); }
  // Operator signals (config/monitoring/alerts.yaml): the connection limit, brokers the last
  // discovery could not give a listener, and a hash of the map clients see (replicas that
  // disagree export different values).
  void set_max_connections(std::uint32_t n) noexcept { max_connections_.set(n); }
  void set_brokers_without_listener(std::size_t n) noexcept {
    brokers_without_listener_.set(static_cast<std::int64_t>(n));
  }
  void set_broker_map_hash(std::uint64_t h) noexcept {
    broker_map_hash_.set(static_cast<std::int64_t>(h & broker_map_hash_mask));
  }
  // 52 bits: a Prometheus sample is a double, exact up to 2^53.
  static constexpr std::uint64_t broker_map_hash_mask = (std::uint64_t{1} << 52) - 1;

  // Prometheus text exposition format 0.0.4, appended to `out`. Per-API series appear only
  // once non-zero; every other family is always present.
  void render_prometheus(std::string& out) const;
  void render_prometheus(std::string& out, std::chrono::steady_clock::time_point now) const;

  // Readers, for tests and for /ready decisions.
  [[nodiscard]] std::uint64_t requests(std::int16_t api_key) const noexcept {
    return requests_[slot(api_key)].value();
  }
  [[nodiscard]] std::uint64_t rewrites(std::int16_t api_key) const noexcept {
    return rewrites_[slot(api_key)].value();
  }
  [[nodiscard]] std::uint64_t rewrite_failures(std::int16_t api_key) const noexcept {
    return rewrite_failures_[slot(api_key)].value();
  }
  [[nodiscard]] std::uint64_t dial_errors() const noexcept { return dial_errors_.value(); }
  [[nodiscard]] std::uint64_t node_endpoints_dropped() const noexcept {
    return node_endpoints_dropped_.value();
  }
  [[nodiscard]] std::uint64_t protocol_errors(protocol_error_cause c) const noexcept {
    return protocol_errors_[static_cast<std::size_t>(c)].value();
  }
  [[nodiscard]] std::uint64_t sessions_closed(close_reason r) const noexcept {
    return sessions_closed_[static_cast<std::size_t>(r)].value();
  }
  [[nodiscard]] std::uint64_t discovery_failures() const noexcept {
    return discovery_failures_.value();
  }
  [[nodiscard]] std::int64_t max_connections() const noexcept { return max_connections_.value(); }
  [[nodiscard]] std::int64_t broker_map_hash() const noexcept { return broker_map_hash_.value(); }

  // One listener's counters at one moment (the status page).
  struct listener_sample {
    listener_labels labels;
    std::int64_t open = 0;
    std::uint64_t total = 0;
    std::uint64_t bytes_client_to_upstream = 0;
    std::uint64_t bytes_upstream_to_client = 0;
  };
  [[nodiscard]] std::vector<listener_sample> listener_samples() const;
  // Empty until the first successful discovery.
  [[nodiscard]] std::optional<std::chrono::steady_clock::duration> discovery_age(
      std::chrono::steady_clock::time_point now) const noexcept;

 private:
  static constexpr std::size_t other_slot = api_key_slots;
  static std::size_t slot(std::int16_t api_key) noexcept {
    return api_key >= 0 && static_cast<std::size_t>(api_key) < api_key_slots
               ? static_cast<std::size_t>(api_key)
               : other_slot;
  }
  using per_api = std::array<counter, api_key_slots + 1>;

  per_api requests_;
  per_api rewrites_;
  per_api rewrite_failures_;
  counter dial_errors_;
  counter node_endpoints_dropped_;
  std::array<counter, protocol_error_cause_count> protocol_errors_;
  std::array<counter, close_reason_count> sessions_closed_;

  // Nanoseconds since each clock's epoch; 0 (steady) means "never succeeded".
  std::atomic<std::int64_t> discovery_last_success_unix_ns_{0};
  std::atomic<std::int64_t> discovery_last_success_steady_ns_{0};
  std::atomic<bool> discovery_ever_succeeded_{false};
  counter discovery_failures_;
  gauge brokers_;
  gauge discovery_passive_;
  counter port_map_changes_;
  counter port_collisions_;
  counter brokers_out_of_range_;
  gauge ready_;
  gauge max_connections_;
  gauge brokers_without_listener_;
  gauge broker_map_hash_;

  mutable std::mutex mu_;  // guards the maps and info labels below
  std::map<listener_labels, std::shared_ptr<listener_metrics>> listeners_;
  struct psc_slot {
    std::shared_ptr<psc_connection_metrics> metrics;
    std::uint64_t last_used = 0;  // psc_clock_ when last handed out
  };
  std::map<std::string, psc_slot, std::less<>> psc_connections_;
  std::uint64_t psc_clock_ = 0;
  label_set keepalive_info_;
  label_set build_info_;
};

// The one registry the daemon uses; tests construct their own.
[[nodiscard]] registry& global_registry();

}  // namespace kpp::admin
