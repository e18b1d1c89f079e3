#include "kpp/app/settings_mapping.h"

#include <algorithm>
#include <chrono>

namespace kpp::app {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

net::session_settings session_settings_from(const config::config& c) {
  net::session_settings s;
  s.max_frame_size = c.limits.max_frame_size;
  s.buffer_size = c.limits.buffer_size;
  s.max_in_flight = c.limits.max_in_flight;
  s.assembled_memory = c.limits.assembled_memory;
  s.splice_min_body = c.limits.splice_min_body;
  s.dial_timeout = duration_cast<milliseconds>(c.timeouts.dial);
  s.idle_timeout = duration_cast<milliseconds>(c.timeouts.idle);
  s.first_bytes_timeout = duration_cast<milliseconds>(c.timeouts.first_bytes);
  s.write_timeout = duration_cast<milliseconds>(c.timeouts.write.value_or(milliseconds(0)));
  s.read_timeout = duration_cast<milliseconds>(c.timeouts.read.value_or(milliseconds(0)));
  s.keepalive.enabled = c.keepalive.enabled;
  s.keepalive.idle = std::max(seconds(1), duration_cast<seconds>(c.keepalive.idle));
  s.keepalive.interval = std::max(seconds(1), duration_cast<seconds>(c.keepalive.interval));
  s.keepalive.count = static_cast<int>(c.keepalive.count);
  s.forbidden_api_keys.insert(c.forbidden_api_keys.begin(), c.forbidden_api_keys.end());
  s.proxy_protocol = c.proxy_protocol.enabled;
  s.proxy_protocol_sources = c.proxy_protocol.allowed_sources;
  s.proxy_protocol_timeout = duration_cast<milliseconds>(c.proxy_protocol.header_timeout);
  return s;
}

std::vector<routing::static_node> static_nodes_from(const config::config& c) {
  std::vector<routing::static_node> out;
  for (const auto& s : c.brokers.static_brokers)
    out.push_back({s.node_id, s.listen_port, s.advertised});
  return out;
}

routing::map_settings map_settings_from(const config::config& c) {
  routing::map_settings m;
  m.policy = c.brokers.policy;
  m.dynamic_listeners = c.brokers.dynamic_listeners;
  m.listen_host = c.brokers.listen_host.empty() ? c.listen : c.brokers.listen_host;
  m.range.base = c.brokers.base_port;
  m.range.node_id_offset = c.brokers.node_id_offset;
  m.range.size = c.brokers.port_range.value_or(0);
  std::string why;
  if (auto t = routing::host_template::parse(c.brokers.advertised_host, &why))
    m.advertised_host = *t;
  m.advertised_port = c.brokers.advertised_port;
  m.static_nodes = static_nodes_from(c);
  for (const auto& a : c.brokers.mappings)
    m.address_mappings.push_back({a.upstream, a.listen, a.advertised});
  for (const auto& e : c.brokers.external)
    m.external_mappings.push_back({e.upstream, e.advertised});
  for (const auto& b : c.bootstrap.listeners) m.reserved_ports.insert(b.listen.port);
  if (c.admin.enabled) m.reserved_ports.insert(c.admin.address.port);
  m.max_brokers = c.brokers.max_brokers;
  if (c.routing == config::routing_mode::sni) m.shared_listener = c.sni.listen;
  return m;
}

std::vector<routing::host_port> bootstrap_servers(const config::config& c) {
  if (!c.bootstrap.servers.empty()) return c.bootstrap.servers;
  std::vector<routing::host_port> out;
  for (const auto& a : c.brokers.mappings) out.push_back(a.upstream);
  return out;
}

discovery::poller_settings poller_settings_from(const config::config& c) {
  discovery::poller_settings p;
  p.bootstrap = bootstrap_servers(c);
  p.refresh = duration_cast<milliseconds>(c.discovery.metadata_refresh);
  p.timeout = duration_cast<milliseconds>(c.timeouts.dial);
  p.removal_grace = duration_cast<milliseconds>(c.brokers.removal_grace);
  p.client_id = c.discovery.client_id;
  return p;
}

std::vector<bootstrap_port> bootstrap_ports(const config::config& c) {
  std::vector<bootstrap_port> out;
  const auto servers = bootstrap_servers(c);
  for (const auto& l : c.bootstrap.listeners) {
    bootstrap_port p;
    p.listen = l.listen;
    if (l.upstream) {
      p.target = {net::upstream_target::kind::fixed, -1, {*l.upstream}, std::nullopt};
    } else {
      p.target = {net::upstream_target::kind::bootstrap, -1, servers, std::nullopt};
    }
    out.push_back(std::move(p));
  }
  // routing: sni: the one port for the bootstrap name and every broker.
  if (c.routing == config::routing_mode::sni)
    out.push_back({c.sni.listen, {net::upstream_target::kind::sni, -1, servers}});
  for (const auto& a : c.brokers.mappings) {
    const bool duplicate = std::any_of(out.begin(), out.end(), [&](const bootstrap_port& p) {
      return p.listen.port == a.listen.port;
    });
    if (!duplicate)
      out.push_back(
          {a.listen, {net::upstream_target::kind::fixed, -1, {a.upstream}, std::nullopt}});
  }
  return out;
}

}  // namespace kpp::app
