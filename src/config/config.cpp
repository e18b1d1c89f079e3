#include "kpp/config/config.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <sstream>

namespace kpp::config {

std::string_view to_string(port_policy p) noexcept {
  switch (p) {
    case port_policy::node_id:
      return "node-id";
    case port_policy::sequential:
      return "sequential";
    case port_policy::static_only:
      return "static";
  }
  return "?";
}

std::string_view to_string(log_level l) noexcept {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::critical:
      return "critical";
    case log_level::off:
      return "off";
  }
  return "?";
}

std::string_view to_string(log_format f) noexcept {
  return f == log_format::json ? "json" : "text";
}

std::optional<port_policy> parse_port_policy(std::string_view text) noexcept {
  if (text == "node-id") return port_policy::node_id;
  if (text == "sequential") return port_policy::sequential;
  if (text == "static") return port_policy::static_only;
  return std::nullopt;
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  for (auto l : {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                 log_level::error, log_level::critical, log_level::off})
    if (text == to_string(l)) return l;
  return std::nullopt;
}

std::optional<log_format> parse_log_format(std::string_view text) noexcept {
  if (text == "text") return log_format::text;
  if (text == "json") return log_format::json;
  return std::nullopt;
}

std::optional<cidr> parse_cidr(std::string_view text) {
  return protocol::parse_cidr(text);
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string hp(const host_port& h) {
  return quote(h.str());
}

const char* yes_no(bool b) {
  return b ? "true" : "false";
}

}  // namespace

std::string to_yaml(const config& c) {
  std::ostringstream y;
  y << "listen: " << quote(c.listen) << "\n";
  y << "threads: " << c.threads << "\n";
  y << "bootstrap:\n  servers: [";
  for (std::size_t i = 0; i < c.bootstrap.servers.size(); ++i)
    y << (i ? ", " : "") << hp(c.bootstrap.servers[i]);
  y << "]\n  listeners:" << (c.bootstrap.listeners.empty() ? " []\n" : "\n");
  for (const auto& l : c.bootstrap.listeners) {
    y << "    - listen: " << hp(l.listen) << "\n";
    if (l.upstream) y << "      upstream: " << hp(*l.upstream) << "\n";
    if (l.advertised) y << "      advertised: " << hp(*l.advertised) << "\n";
    if (l.tls) {
      std::string t;
      append_tls_yaml(t, *l.tls, 8);
      y << "      tls:\n" << t;
    }
  }
  const auto& b = c.brokers;
  y << "brokers:\n";
  y << "  port_policy: " << to_string(b.policy) << "\n";
  y << "  base_port: " << b.base_port << "\n";
  y << "  node_id_offset: " << b.node_id_offset << "\n";
  if (b.port_range) y << "  port_range: " << *b.port_range << "\n";
  y << "  listen_host: " << quote(b.listen_host) << "\n";
  y << "  advertised_host: " << quote(b.advertised_host) << "\n";
  if (b.advertised_port) y << "  advertised_port: " << *b.advertised_port << "\n";
  y << "  dynamic_listeners: " << yes_no(b.dynamic_listeners) << "\n";
  y << "  state_file: " << quote(b.state_file) << "\n";
  y << "  removal_grace: " << format_duration(b.removal_grace) << "\n";
  y << "  max_brokers: " << b.max_brokers << "\n";
  y << "  static:" << (b.static_brokers.empty() ? " []\n" : "\n");
  for (const auto& s : b.static_brokers) {
    y << "    - node_id: " << s.node_id << "\n      listen_port: " << s.listen_port << "\n";
    if (s.advertised) y << "      advertised: " << hp(*s.advertised) << "\n";
  }
  y << "  mappings:" << (b.mappings.empty() ? " []\n" : "\n");
  for (const auto& m : b.mappings)
    y << "    - upstream: " << hp(m.upstream) << "\n      listen: " << hp(m.listen)
      << "\n      advertised: " << hp(m.advertised) << "\n";
  y << "  external:" << (b.external.empty() ? " []\n" : "\n");
  for (const auto& e : b.external)
    y << "    - upstream: " << hp(e.upstream) << "\n      advertised: " << hp(e.advertised) << "\n";
  y << "  dial:" << (b.dial.empty() ? " []\n" : "\n");
  for (const auto& d : b.dial)
    y << "    - upstream: " << hp(d.upstream) << "\n      dial: " << hp(d.dial) << "\n";
  y << "discovery:\n  metadata_refresh: " << format_duration(c.discovery.metadata_refresh)
    << "\n  client_id: " << quote(c.discovery.client_id) << "\n";
  {
    std::string sasl;
    append_upstream_sasl_yaml(sasl, c.discovery.sasl);  // indented 2: under discovery
    y << sasl;
  }
  y << "timeouts:\n  dial: " << format_duration(c.timeouts.dial) << "\n";
  if (c.timeouts.read) y << "  read: " << format_duration(*c.timeouts.read) << "\n";
  if (c.timeouts.write) y << "  write: " << format_duration(*c.timeouts.write) << "\n";
  y << "  idle: " << format_duration(c.timeouts.idle)
    << "\n  first_bytes: " << format_duration(c.timeouts.first_bytes)
    << "\n  drain: " << format_duration(c.timeouts.drain) << "\n";
  y << "limits:\n  max_frame_size: " << format_size(c.limits.max_frame_size)
    << "\n  max_connections: " << c.limits.max_connections
    << "\n  max_in_flight: " << c.limits.max_in_flight
    << "\n  buffer_size: " << format_size(c.limits.buffer_size)
    << "\n  assembled_memory: " << format_size(c.limits.assembled_memory)
    << "\n  splice_min_body: " << format_size(c.limits.splice_min_body) << "\n";
  y << "forbidden_api_keys: [";
  for (std::size_t i = 0; i < c.forbidden_api_keys.size(); ++i)
    y << (i ? ", " : "") << c.forbidden_api_keys[i];
  y << "]\n";
  y << "admin:\n  enabled: " << yes_no(c.admin.enabled) << "\n  address: " << hp(c.admin.address)
    << "\n  health_path: " << quote(c.admin.health_path)
    << "\n  ready_path: " << quote(c.admin.ready_path)
    << "\n  metrics_path: " << quote(c.admin.metrics_path) << "\n";
  y << "log:\n  level: " << to_string(c.log.level) << "\n  format: " << to_string(c.log.format)
    << "\n";
  y << "keepalive:\n  enabled: " << yes_no(c.keepalive.enabled)
    << "\n  idle: " << format_duration(c.keepalive.idle)
    << "\n  interval: " << format_duration(c.keepalive.interval)
    << "\n  count: " << c.keepalive.count << "\n";
  y << "proxy_protocol:\n  enabled: " << yes_no(c.proxy_protocol.enabled)
    << "\n  allowed_sources: [";
  for (std::size_t i = 0; i < c.proxy_protocol.allowed_sources.size(); ++i)
    y << (i ? ", " : "") << quote(c.proxy_protocol.allowed_sources[i].to_string());
  y << "]\n  header_timeout: " << format_duration(c.proxy_protocol.header_timeout) << "\n";
  std::string listeners;
  append_listeners_yaml(listeners, c.listeners);
  y << listeners;
  std::string tls = "tls:\n";
  append_tls_yaml(tls, c.tls, 2);
  append_upstream_yaml(tls, c.upstream);
  append_upstream_sasl_yaml(tls, c.upstream.sasl);
  y << tls;
  if (c.routing == routing_mode::sni)
    y << "routing: sni\nsni:\n  listen: " << hp(c.sni.listen)
      << "\n  bootstrap_host: " << quote(c.sni.bootstrap_host) << "\n";
  if (c.routing == routing_mode::sni && !c.sni.certificates.empty()) {
    y << "  certificates:\n";
    for (const auto& cert : c.sni.certificates)
      y << "    - cert_file: " << quote(cert.cert_file)
        << "\n      key_file: " << quote(cert.key_file) << "\n";
  }
  return y.str();
}

}  // namespace kpp::config
