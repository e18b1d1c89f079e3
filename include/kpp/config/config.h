// The validated configuration: plain structs, filled from a YAML file (yaml_loader.h) or from
// grepplabs-compatible flags (flag_parser.h), checked by validate.h. Defaults here are the
// YAML defaults; the flag parser overrides a few where grepplabs behaves differently.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kpp/config/duration.h"
#include "kpp/config/sasl_config.h"
#include "kpp/config/sni_config.h"
#include "kpp/config/tls_config.h"
#include "kpp/protocol/cidr.h"
#include "kpp/routing/host_port.h"
#include "kpp/routing/port_policy.h"

namespace kpp::config {

using routing::host_port;
using routing::port_policy;
using namespace std::chrono_literals;

// A client-facing bootstrap port. Without `upstream` a connection goes to any reachable
// bootstrap server; with it, always to that broker (what a grepplabs mapping does).
struct bootstrap_listener {
  host_port listen;
  std::optional<host_port> upstream;
  std::optional<host_port> advertised;     // how clients should call this listener
  std::optional<listener_tls_config> tls;  // replaces the top-level `tls` for this listener
  friend bool operator==(const bootstrap_listener&, const bootstrap_listener&) = default;
};

struct bootstrap_config {
  std::vector<host_port> servers;  // upstream bootstrap brokers
  std::vector<bootstrap_listener> listeners;
  friend bool operator==(const bootstrap_config&, const bootstrap_config&) = default;
};

// static policy: one broker, by node id, on a fixed local port.
struct static_broker {
  std::int32_t node_id = 0;
  std::uint16_t listen_port = 0;        // bound on brokers.listen_host
  std::optional<host_port> advertised;  // default: advertised_host template, listen port
  friend bool operator==(const static_broker&, const static_broker&) = default;
};

// --bootstrap-server-mapping: the broker whose upstream address is `upstream` is served on
// `listen` (bound at start, always dials `upstream`) and advertised as `advertised`. Being
// fixed to a bootstrap broker, such a listener also serves as a bootstrap port.
struct address_mapping {
  host_port upstream;
  host_port listen;
  host_port advertised;
  friend bool operator==(const address_mapping&, const address_mapping&) = default;
};

// --external-server-mapping: advertised as `advertised`, served by something else.
struct external_mapping {
  host_port upstream;
  host_port advertised;
  friend bool operator==(const external_mapping&, const external_mapping&) = default;
};

// --dial-address-mapping: a broker advertised by the cluster as `upstream` is dialed at `dial`.
struct dial_mapping {
  host_port upstream;
  host_port dial;
  friend bool operator==(const dial_mapping&, const dial_mapping&) = default;
};

struct brokers_config {
  port_policy policy = port_policy::node_id;
  // node-id: port = base_port + node_id - node_id_offset. sequential: first free port from
  // base_port; 0 lets the OS pick any free port (grepplabs without a min port).
  std::uint16_t base_port = 0;
  std::int32_t node_id_offset = 0;
  std::optional<std::uint32_t> port_range;       // ports in [base, base + range); unset: to 65535
  std::string listen_host;                       // dynamic listeners; empty in YAML: `listen`
  std::string advertised_host;                   // template with {node_id}
  std::optional<std::uint16_t> advertised_port;  // unset: the listen port
  bool dynamic_listeners = true;
  std::vector<static_broker> static_brokers;
  std::vector<address_mapping> mappings;
  std::vector<external_mapping> external;
  std::vector<dial_mapping> dial;
  std::string state_file;  // sequential: node -> port survives restarts when set
  millis removal_grace = 5min;
  std::uint32_t max_brokers = 1024;  // listeners the brokers' responses may create
  friend bool operator==(const brokers_config&, const brokers_config&) = default;
};

struct discovery_config {
  millis metadata_refresh = 30s;
  std::string client_id = "kafka-psc-proxy";  // client.id of the proxy's own Metadata requests
  // discovery.sasl: in pass-through mode (no upstream.sasl) the login of the proxy's own
  // discovery connections only; client sessions stay pass-through. Off: discovery goes
  // unauthenticated and, against a SASL-only listener, is passive (see metadata_poller).
  upstream_sasl_config sasl;
  friend bool operator==(const discovery_config&, const discovery_config&) = default;
};

struct timeouts_config {
  millis dial = 10s;
  std::optional<millis> read;   // unset: no deadline on an upstream response
  std::optional<millis> write;  // unset: no deadline on a write
  millis idle = 0ms;            // 0: idle connections are never closed
  millis first_bytes = 10s;     // a new connection's first Kafka bytes (after any PROXY header)
  millis drain = 30s;           // SIGTERM: how long in-flight requests may finish
  friend bool operator==(const timeouts_config&, const timeouts_config&) = default;
};

struct limits_config {
  std::uint64_t max_frame_size = 100ull << 20;
  std::uint32_t max_connections = 10000;
  std::uint32_t max_in_flight = 256;              // per connection
  std::uint64_t buffer_size = 64ull << 10;        // streaming buffer per direction and connection
  std::uint64_t assembled_memory = 256ull << 20;  // assembled responses, whole process
  std::uint64_t splice_min_body = 64ull << 10;    // pass-through bodies spliced from; 0: never
  friend bool operator==(const limits_config&, const limits_config&) = default;
};

struct admin_config {
  bool enabled = true;
  host_port address{"0.0.0.0", 9080};
  std::string health_path = "/health";
  std::string ready_path = "/ready";
  std::string metrics_path = "/metrics";
  friend bool operator==(const admin_config&, const admin_config&) = default;
};

enum class log_level : std::uint8_t { trace, debug, info, warn, error, critical, off };
enum class log_format : std::uint8_t { text, json };

struct log_config {
  log_level level = log_level::info;
  log_format format = log_format::text;
  friend bool operator==(const log_config&, const log_config&) = default;
};

// TCP keepalive on client and upstream sockets.
struct keepalive_config {
  bool enabled = true;
  millis idle = 60s;
  millis interval = 10s;
  std::uint32_t count = 6;
  friend bool operator==(const keepalive_config&, const keepalive_config&) = default;
};

// An address block such as 10.0.0.0/8 or fd00::/8 (one type for the whole proxy).
using cidr = protocol::cidr;

// HAProxy PROXY protocol v1/v2 on client connections (what a PSC NAT or an LB may prepend).
struct proxy_protocol_config {
  bool enabled = false;
  std::vector<cidr> allowed_sources;  // empty: any source may send a header
  millis header_timeout = 5s;
  friend bool operator==(const proxy_protocol_config&, const proxy_protocol_config&) = default;
};

struct config {
  std::string listen = "0.0.0.0";  // bind address of broker and bootstrap listeners
  std::uint32_t threads = 0;       // 0: one per core
  bootstrap_config bootstrap;
  brokers_config brokers;
  discovery_config discovery;
  timeouts_config timeouts;
  limits_config limits;
  std::vector<std::int16_t> forbidden_api_keys;  // sorted, no duplicates after validation
  admin_config admin;
  log_config log;
  keepalive_config keepalive;
  proxy_protocol_config proxy_protocol;
  listener_tls_config tls;  // bootstrap and broker listeners
  upstream_config upstream;
  routing_mode routing = routing_mode::ports;  // sni: one TLS port for all (sni_config.h)
  sni_config sni;
  listeners_config listeners;  // listeners.sasl: client authentication at the proxy
  friend bool operator==(const config&, const config&) = default;
};

[[nodiscard]] std::string_view to_string(port_policy p) noexcept;  // node-id|sequential|static
[[nodiscard]] std::string_view to_string(log_level l) noexcept;
[[nodiscard]] std::string_view to_string(log_format f) noexcept;
[[nodiscard]] std::optional<port_policy> parse_port_policy(std::string_view text) noexcept;
[[nodiscard]] std::optional<log_level> parse_log_level(std::string_view text) noexcept;
[[nodiscard]] std::optional<log_format> parse_log_format(std::string_view text) noexcept;

// Parses "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128).
[[nodiscard]] std::optional<cidr> parse_cidr(std::string_view text);

// The effective configuration as YAML that load_yaml_string() reads back to an equal config
// (check-config prints it).
[[nodiscard]] std::string to_yaml(const config& c);

}  // namespace kpp::config
