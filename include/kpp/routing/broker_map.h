// The one place that answers "which local port and advertised address is broker N on, and
// where does it really live?". Thread-safe: sessions consult it on the rewrite path while
// discovery updates it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/routing/host_port.h"
#include "kpp/routing/host_template.h"
#include "kpp/routing/port_policy.h"

namespace kpp::routing {

// A broker address pinned to a listener by configuration (grepplabs --bootstrap-server-mapping,
// or a static entry): that listener is bound at start, the map never binds it again.
struct address_mapping {
  host_port upstream;
  host_port listen;
  host_port advertised;
};

// A broker address served by something else (grepplabs --external-server-mapping).
struct external_mapping {
  host_port upstream;
  host_port advertised;
};

struct static_node {
  std::int32_t node_id = 0;
  std::uint16_t listen_port = 0;
  std::optional<host_port> advertised;  // default: template host, listen port
};

struct map_settings {
  port_policy policy = port_policy::node_id;
  bool dynamic_listeners = true;        // false: only configured mappings (fail closed otherwise)
  std::string listen_host = "0.0.0.0";  // where dynamic listeners bind
  port_range range;
  host_template advertised_host;
  std::optional<std::uint16_t> advertised_port;  // fixed advertised port; default listen port
  std::vector<static_node> static_nodes;
  std::vector<address_mapping> address_mappings;
  std::vector<external_mapping> external_mappings;
  std::set<std::uint16_t> reserved_ports;                  // bootstrap, admin: never a broker port
  std::map<std::int32_t, std::uint16_t> sequential_state;  // node -> port, from the state file
  // At most this many listeners bound by the map (brokers.max_brokers): a cluster's (or a
  // hostile upstream's) responses cannot make the proxy open ports without bound.
  std::size_t max_brokers = 1024;
  // routing: sni. Every broker is served on this one listener (bound at start, told apart by
  // the TLS server name) and advertised on it: the map binds no port of its own.
  std::optional<host_port> shared_listener;
};

// Why a broker got no listener. The app counts and reports by this, never by message text.
enum class refusal : std::uint8_t {
  invalid_node_id,       // a negative node id: never given a port, never persisted
  out_of_port_range,     // node-id policy: the id maps outside the broker port range
  port_in_use,           // another broker, a bootstrap listener, admin or another process has it
  port_range_exhausted,  // sequential policy: no free port left in the range
  no_static_entry,       // static policy: the broker has no entry
  not_mapped,            // dynamic listeners are off and no mapping names the broker
  bind_failed,           // the OS refused the listening socket for another reason
  too_many_brokers,      // brokers.max_brokers listeners exist already
};
[[nodiscard]] std::string_view to_string(refusal r) noexcept;

// A refusal and its message: what is wrong and which setting fixes it.
struct map_error {
  refusal reason{};
  std::string message;
};

struct broker_route {
  std::int32_t node_id = 0;
  std::optional<host_port> upstream;  // where the broker really is (unknown until seen)
  host_port listen;                   // local listener (port 0: none, external mapping)
  host_port advertised;               // what clients are told
  bool local_listener = true;
  bool configured_listener = false;  // bound at start by configuration, not by the map
  friend bool operator==(const broker_route&, const broker_route&) = default;
};

// What the map asks of the network layer. bind() must leave a listening socket behind when it
// returns success: the caller writes the response naming this port right after.
class listener_binder {
 public:
  virtual ~listener_binder() = default;
  virtual std::error_code bind(const broker_route& route) = 0;
  virtual void unbind(const broker_route& route) = 0;
};

struct map_events {
  std::function<void(const broker_route&)> added;
  std::function<void(const broker_route&, const host_port& old_upstream)> moved;
  std::function<void(const broker_route&)> removed;
  std::function<void(std::int32_t node_id, const map_error& why)> refused;
};

class broker_map {
 public:
  broker_map(map_settings settings, listener_binder& binder, map_events events = {});

  struct ensure_result {
    std::optional<broker_route> route;
    std::string error;  // set when route is empty: what is wrong and which setting fixes it
    std::optional<refusal> reason;  // set when route is empty
  };
  // Returns the route of `node_id`, creating it (and binding its listener) on first sight and
  // recording a changed upstream address. Never hands out an unmapped address.
  ensure_result ensure(std::int32_t node_id, const host_port& upstream);

  // Current upstream for a broker listener's new connection.
  [[nodiscard]] std::optional<host_port> upstream_of(std::int32_t node_id) const;
  [[nodiscard]] std::optional<broker_route> find(std::int32_t node_id) const;
  [[nodiscard]] std::vector<broker_route> snapshot() const;
  [[nodiscard]] std::map<std::int32_t, std::uint16_t> port_assignments() const;

  // Discovery saw exactly `present`: brokers absent for longer than `grace` are removed and
  // their listeners closed. Returns the removed node ids.
  std::vector<std::int32_t> retire_absent(const std::set<std::int32_t>& present,
                                          std::chrono::steady_clock::duration grace,
                                          std::chrono::steady_clock::time_point now);

  // Binds listeners for nodes recorded in the sequential state file before any discovery,
  // so clients holding cached metadata find the same ports after a restart.
  std::vector<map_error> preload_state();

  // The mapper the protocol layer calls while rewriting a response.
  [[nodiscard]] protocol::address_mapper mapper();

  void set_static_nodes(std::vector<static_node> nodes);  // SIGHUP

 private:
  ensure_result create_locked(std::int32_t node_id, const host_port& upstream);
  ensure_result refuse(std::int32_t node_id, refusal reason, std::string why);
  std::optional<std::uint16_t> choose_port_locked(std::int32_t node_id,
                                                  const std::set<std::uint16_t>& unbindable,
                                                  map_error* why);
  [[nodiscard]] std::size_t map_bound_listeners_locked() const;
  host_port advertised_for(std::int32_t node_id, std::uint16_t listen_port) const;

  mutable std::mutex mutex_;
  map_settings settings_;
  listener_binder& binder_;
  map_events events_;
  std::map<std::int32_t, broker_route> routes_;
  std::map<std::int32_t, std::chrono::steady_clock::time_point> absent_since_;
  std::set<std::uint16_t> ports_in_use_;
};

}  // namespace kpp::routing
