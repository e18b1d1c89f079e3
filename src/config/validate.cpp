#include "kpp/config/validate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "kpp/routing/host_template.h"
#include "validate_sni.h"
#include "validate_sasl.h"
#include "validate_tls.h"

namespace kpp::config {
namespace {

std::string q(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

// A host name as clients resolve it: dot-separated labels of letters, digits, '-' and '_'
// (underscores appear in real internal names), no label empty or longer than 63, no label
// starting or ending with '-'; or an IP literal.
bool is_host_name(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.find(':') != std::string::npos) return is_ip_literal(s);
  std::size_t label = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (s[i - label] == '-' || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
    ++label;
  }
  return true;
}

class checker {
 public:
  explicit checker(std::vector<problem>& out) : out_(out) {}

  void add(const std::string& key, const std::string& text) {
    out_.push_back({key, key + ": " + text});
  }

  void ip(const std::string& key, const std::string& value) {
    if (!is_ip_literal(value))
      add(key, q(value) +
                   " is not an IP address; expected an address to bind, e.g. 0.0.0.0, "
                   "127.0.0.1 or ::");
  }

  void host(const std::string& key, const host_port& value) {
    if (!is_host_name(value.host))
      add(key, q(value.str()) +
                   " has an invalid host name; expected host:port, e.g. "
                   "b1.example.com:9092");
  }

  void bind_address(const std::string& key, const host_port& value) {
    if (!is_ip_literal(value.host))
      add(key, q(value.str()) +
                   " does not bind an IP address; expected ip:port, e.g. "
                   "0.0.0.0:9092");
  }

  // {node_id} is the only placeholder; after it is filled in, a valid host name must remain.
  void host_template(const std::string& key, const std::string& value) {
    const std::string expected = "expected a host name with {node_id}, e.g. b{node_id}.example.com";
    if (value.empty()) return add(key, "is empty; " + expected);
    std::string rendered;
    for (std::size_t i = 0; i < value.size();) {
      if (value.compare(i, 9, "{node_id}") == 0) {
        rendered += "0";
        i += 9;
        continue;
      }
      if (value[i] == '{') {
        const bool go = value.compare(i, 2, "{{") == 0;
        auto close = value.find(go ? "}}" : "}", i);
        auto name = close == std::string::npos ? value.substr(i)
                                               : value.substr(i, close - i + (go ? 2 : 1));
        return add(key, q(value) + " has an unknown placeholder " + name + "; " + expected);
      }
      if (value[i] == '}') return add(key, q(value) + " has an unbalanced '}'; " + expected);
      rendered += value[i++];
    }
    if (!is_host_name(rendered))
      return add(key, q(value) + " is not a valid host name; " + expected);
    // The routing layer renders the template: make sure it reads it the same way.
    std::string why;
    if (!routing::host_template::parse(value, &why)) add(key, q(value) + " " + why);
  }

 private:
  std::vector<problem>& out_;
};

struct bound_port {
  std::string key;
  std::string host;
  std::uint16_t port = 0;
};

bool hosts_overlap(const std::string& a, const std::string& b) {
  return a == b || is_wildcard(a) || is_wildcard(b);
}

std::string describe(const bound_port& p) {
  return p.key + " " + host_port{p.host, p.port}.str();
}

void complete(config& c) {
  auto& b = c.brokers;
  if (b.listen_host.empty()) b.listen_host = c.listen;
  if (c.routing == routing_mode::sni && c.sni.listen.host.empty()) c.sni.listen.host = c.listen;
  if (c.bootstrap.servers.empty()) {
    auto add = [&](const host_port& h) {
      if (std::find(c.bootstrap.servers.begin(), c.bootstrap.servers.end(), h) ==
          c.bootstrap.servers.end())
        c.bootstrap.servers.push_back(h);
    };
    for (const auto& l : c.bootstrap.listeners)
      if (l.upstream) add(*l.upstream);
    for (const auto& m : b.mappings) add(m.upstream);
  }
  std::sort(c.forbidden_api_keys.begin(), c.forbidden_api_keys.end());
  c.forbidden_api_keys.erase(std::unique(c.forbidden_api_keys.begin(), c.forbidden_api_keys.end()),
                             c.forbidden_api_keys.end());
}

void check_bootstrap(const config& c, checker& ck) {
  if (c.bootstrap.servers.empty())
    ck.add("bootstrap.servers",
           "is empty; expected at least one upstream broker host:port, e.g. "
           "[kafka-0.internal:9092] (or brokers.mappings, whose upstreams are used)");
  for (std::size_t i = 0; i < c.bootstrap.servers.size(); ++i)
    ck.host("bootstrap.servers[" + std::to_string(i) + "]", c.bootstrap.servers[i]);
  if (c.bootstrap.listeners.empty() && c.brokers.mappings.empty() &&
      c.routing == routing_mode::ports)  // sni: sni.listen is the bootstrap port
    ck.add("bootstrap.listeners",
           "is empty and so is brokers.mappings; expected at least one port clients can "
           "bootstrap from, e.g. - listen: 0.0.0.0:9092");
  for (std::size_t i = 0; i < c.bootstrap.listeners.size(); ++i) {
    const auto& l = c.bootstrap.listeners[i];
    const auto key = "bootstrap.listeners[" + std::to_string(i) + "]";
    ck.bind_address(key + ".listen", l.listen);
    if (l.upstream) ck.host(key + ".upstream", *l.upstream);
    if (l.advertised) ck.host(key + ".advertised", *l.advertised);
  }
}

void check_brokers(const config& c, checker& ck) {
  const auto& b = c.brokers;
  if (b.listen_host != c.listen) ck.ip("brokers.listen_host", b.listen_host);  // else reported
  const bool computed = b.policy != port_policy::static_only && b.dynamic_listeners;
  if (b.policy == port_policy::node_id && b.base_port == 0 &&
      c.routing == routing_mode::ports)  // sni: brokers share sni.listen
    ck.add("brokers.base_port",
           "0 with port_policy node-id; expected the port of node id node_id_offset, e.g. 9100");
  if (b.port_range) {
    const auto last = std::uint64_t{b.base_port} + *b.port_range - 1;
    if (*b.port_range == 0)
      ck.add("brokers.port_range", "0; expected a number of ports, at least 1, or no key");
    else if (b.base_port == 0)
      ck.add("brokers.port_range", std::to_string(*b.port_range) +
                                       " without brokers.base_port; expected a base_port to "
                                       "count from");
    else if (last > 65535)
      ck.add("brokers.port_range",
             std::to_string(*b.port_range) + " from base_port " + std::to_string(b.base_port) +
                 " ends at port " + std::to_string(last) + "; expected at most " +
                 std::to_string(65536 - b.base_port) + " so the last port is 65535");
  }
  if (b.node_id_offset < 0)
    ck.add("brokers.node_id_offset", std::to_string(b.node_id_offset) +
                                         " is negative; expected the lowest node id, e.g. 0 "
                                         "or 1");
  const bool needs_template =
      computed || std::any_of(b.static_brokers.begin(), b.static_brokers.end(),
                              [](const static_broker& s) { return !s.advertised; });
  if (needs_template || !b.advertised_host.empty())
    ck.host_template("brokers.advertised_host", b.advertised_host);
  if (computed && b.advertised_port && b.advertised_host.find("{node_id}") == std::string::npos)
    ck.add("brokers.advertised_port",
           std::to_string(*b.advertised_port) + " with advertised_host " + q(b.advertised_host) +
               " gives every broker the same address; expected {node_id} in "
               "brokers.advertised_host, or no advertised_port");
  if (b.advertised_port && *b.advertised_port == 0)
    ck.add("brokers.advertised_port", "0; expected a port 1..65535, or no key");
  if (b.policy == port_policy::static_only && b.static_brokers.empty() && b.mappings.empty())
    ck.add("brokers.static",
           "is empty with port_policy static; expected entries such as "
           "- {node_id: 1, listen_port: 9101}");
  if (b.max_brokers == 0 || b.max_brokers > 65535)
    ck.add("brokers.max_brokers",
           std::to_string(b.max_brokers) + " is out of range; expected 1..65535, e.g. 1024");
  if (!b.state_file.empty() && b.policy != port_policy::sequential)
    ck.add("brokers.state_file", q(b.state_file) + " is set with port_policy " +
                                     std::string(to_string(b.policy)) +
                                     "; expected it only with port_policy sequential");
  std::set<std::int32_t> ids;
  for (std::size_t i = 0; i < b.static_brokers.size(); ++i) {
    const auto& s = b.static_brokers[i];
    const auto key = "brokers.static[" + std::to_string(i) + "]";
    if (s.node_id < 0)
      ck.add(key + ".node_id", std::to_string(s.node_id) + " is negative; expected a node id >= 0");
    if (!ids.insert(s.node_id).second)
      ck.add(key + ".node_id",
             std::to_string(s.node_id) + " appears twice; expected one entry per node id");
    if (s.listen_port == 0) ck.add(key + ".listen_port", "0; expected a port 1..65535");
    if (s.advertised) ck.host(key + ".advertised", *s.advertised);
  }
  std::set<host_port> upstreams;
  for (std::size_t i = 0; i < b.mappings.size(); ++i) {
    const auto& m = b.mappings[i];
    const auto key = "brokers.mappings[" + std::to_string(i) + "]";
    ck.host(key + ".upstream", m.upstream);
    ck.bind_address(key + ".listen", m.listen);
    ck.host(key + ".advertised", m.advertised);
    if (!upstreams.insert(m.upstream).second)
      ck.add(key + ".upstream",
             q(m.upstream.str()) + " is mapped twice; expected one mapping per upstream address");
  }
  std::set<host_port> externals;
  for (std::size_t i = 0; i < b.external.size(); ++i) {
    const auto& e = b.external[i];
    const auto key = "brokers.external[" + std::to_string(i) + "]";
    ck.host(key + ".upstream", e.upstream);
    ck.host(key + ".advertised", e.advertised);
    if (upstreams.count(e.upstream) || !externals.insert(e.upstream).second)
      ck.add(key + ".upstream",
             q(e.upstream.str()) + " is mapped twice; expected one mapping per upstream address");
  }
  std::set<host_port> dials;
  for (std::size_t i = 0; i < b.dial.size(); ++i) {
    const auto& d = b.dial[i];
    const auto key = "brokers.dial[" + std::to_string(i) + "]";
    ck.host(key + ".upstream", d.upstream);
    ck.host(key + ".dial", d.dial);
    if (!dials.insert(d.upstream).second)
      ck.add(key + ".upstream",
             q(d.upstream.str()) + " is redirected twice; expected one dial address per upstream");
  }
}

std::vector<bound_port> fixed_ports(const config& c) {
  std::vector<bound_port> ports;
  for (std::size_t i = 0; i < c.bootstrap.listeners.size(); ++i) {
    const auto& l = c.bootstrap.listeners[i].listen;
    ports.push_back({"bootstrap.listeners[" + std::to_string(i) + "].listen", l.host, l.port});
  }
  for (std::size_t i = 0; i < c.brokers.mappings.size(); ++i) {
    const auto& l = c.brokers.mappings[i].listen;
    ports.push_back({"brokers.mappings[" + std::to_string(i) + "].listen", l.host, l.port});
  }
  for (std::size_t i = 0; i < c.brokers.static_brokers.size(); ++i)
    ports.push_back({"brokers.static[" + std::to_string(i) + "].listen_port", c.brokers.listen_host,
                     c.brokers.static_brokers[i].listen_port});
  if (c.admin.enabled)
    ports.push_back({"admin.address", c.admin.address.host, c.admin.address.port});
  return ports;
}

void check_ports(const config& c, checker& ck) {
  const auto ports = fixed_ports(c);
  for (std::size_t i = 0; i < ports.size(); ++i)
    for (std::size_t j = i + 1; j < ports.size(); ++j)
      if (ports[i].port == ports[j].port && ports[i].port != 0 &&
          hosts_overlap(ports[i].host, ports[j].host))
        ck.add(ports[j].key, "port " + std::to_string(ports[j].port) + " is also " +
                                 describe(ports[i]) + "; expected a port no other listener uses");

  const auto& b = c.brokers;
  if (b.policy == port_policy::static_only || !b.dynamic_listeners || b.base_port == 0) return;
  // An unbounded range reaches 65535 and so includes almost any other port. The sequential
  // policy skips taken ports; under node-id only the one broker whose port is taken is
  // refused at run time (start_warnings names it). Refusing here would reject grepplabs
  // command lines that grepplabs runs (--dynamic-sequential-min-port below the admin port).
  if (!b.port_range) return;
  const std::uint32_t first = b.base_port;
  const std::uint32_t last =
      b.port_range ? std::min<std::uint32_t>(65535, first + *b.port_range - 1) : 65535;
  const std::string range = std::string(to_string(b.policy)) + " range " + std::to_string(first) +
                            ".." + std::to_string(last);
  for (const auto& p : ports)
    if (p.port >= first && p.port <= last && hosts_overlap(p.host, b.listen_host))
      ck.add("brokers.base_port",
             "the " + range + " on " + b.listen_host + " includes " + describe(p) +
                 "; expected ranges that do not overlap: move one or set brokers.port_range");
}

void check_rest(const config& c, checker& ck) {
  ck.ip("listen", c.listen);
  if (c.threads > 1024)
    ck.add("threads", std::to_string(c.threads) +
                          " is too many; expected 0 (one per core) "
                          "up to 1024");
  if (c.discovery.metadata_refresh < millis{100})
    ck.add("discovery.metadata_refresh", format_duration(c.discovery.metadata_refresh) +
                                             " is too short; expected at least 100ms, e.g. 30s");
  if (c.discovery.client_id.empty())
    ck.add("discovery.client_id", "is empty; expected a Kafka client.id, e.g. kafka-psc-proxy");
  if (c.timeouts.dial <= millis{0})
    ck.add("timeouts.dial", "0; expected a positive duration, e.g. 10s");
  if (c.timeouts.first_bytes <= millis{0})
    ck.add("timeouts.first_bytes", "0; expected a positive duration, e.g. 10s");
  if (c.timeouts.read && *c.timeouts.read <= millis{0})
    ck.add("timeouts.read", "0; expected a positive duration, e.g. 30s, or no key for none");
  if (c.timeouts.write && *c.timeouts.write <= millis{0})
    ck.add("timeouts.write", "0; expected a positive duration, e.g. 30s, or no key for none");

  const auto& l = c.limits;
  if (l.max_frame_size < 1024 || l.max_frame_size > 0x7fffffff)
    ck.add("limits.max_frame_size", format_size(l.max_frame_size) +
                                        " is out of range; expected 1KiB up to 2147483647 "
                                        "bytes, e.g. 100MiB");
  if (l.max_connections == 0)
    ck.add("limits.max_connections", "0; expected at least 1, e.g. 10000");
  if (l.max_in_flight == 0 || l.max_in_flight > 65536)
    ck.add("limits.max_in_flight",
           std::to_string(l.max_in_flight) + " is out of range; expected 1..65536, e.g. 256");
  if (l.buffer_size < 512 || l.buffer_size > (64ull << 20))
    ck.add("limits.buffer_size", format_size(l.buffer_size) +
                                     " is out of range; expected 512 bytes up to 64MiB, e.g. "
                                     "64KiB");
  if (l.assembled_memory < (1ull << 20) || l.assembled_memory > (1ull << 40))
    ck.add("limits.assembled_memory", format_size(l.assembled_memory) +
                                          " is out of range; expected 1MiB up to 1TiB, e.g. "
                                          "256MiB");
  if (l.splice_min_body != 0 && (l.splice_min_body < 4096 || l.splice_min_body > (1ull << 30)))
    ck.add("limits.splice_min_body", format_size(l.splice_min_body) +
                                         " is out of range; expected 0 (never splice) or 4KiB "
                                         "up to 1GiB, e.g. 64KiB");
  for (auto key : c.forbidden_api_keys)
    if (key < 0)
      ck.add("forbidden_api_keys", std::to_string(key) +
                                       " is negative; expected Kafka API keys, e.g. [20] for "
                                       "DeleteTopics");

  const auto& a = c.admin;
  if (a.enabled) {
    ck.bind_address("admin.address", a.address);
    std::set<std::string> paths;
    for (auto [key, path] : {std::pair{"admin.health_path", &a.health_path},
                             std::pair{"admin.ready_path", &a.ready_path},
                             std::pair{"admin.metrics_path", &a.metrics_path}}) {
      if (path->empty() || path->front() != '/' || path->find(' ') != std::string::npos)
        ck.add(key, q(*path) + " is not a path; expected one starting with /, e.g. /health");
      else if (!paths.insert(*path).second)
        ck.add(key, q(*path) + " is used by another admin path; expected distinct paths");
    }
  }

  const auto& k = c.keepalive;
  if (k.enabled) {
    auto whole_seconds = [&](const char* key, millis d, const char* example) {
      if (d < millis{1000} || d.count() % 1000 != 0)
        ck.add(key, format_duration(d) +
                        " is not a whole number of seconds >= 1s; expected "
                        "e.g. " +
                        example);
    };
    whole_seconds("keepalive.idle", k.idle, "60s");
    whole_seconds("keepalive.interval", k.interval, "10s");
    if (k.count == 0 || k.count > 127)
      ck.add("keepalive.count", std::to_string(k.count) +
                                    " is out of range; expected 1..127, "
                                    "e.g. 6");
  }
  if (c.proxy_protocol.enabled && c.proxy_protocol.header_timeout <= millis{0})
    ck.add("proxy_protocol.header_timeout", "0; expected a positive duration, e.g. 5s");
}

}  // namespace

std::vector<std::string> start_warnings(const config& c) {
  std::vector<std::string> out;
  const auto& b = c.brokers;
  if (b.policy != port_policy::node_id || !b.dynamic_listeners || b.base_port == 0 || b.port_range)
    return out;
  for (const auto& p : fixed_ports(c)) {
    if (p.port < b.base_port || !hosts_overlap(p.host, b.listen_host)) continue;
    const auto node = std::int64_t{p.port} - b.base_port + b.node_id_offset;
    out.push_back("brokers.base_port: the node-id range " + std::to_string(b.base_port) +
                  "..65535 on " + b.listen_host + " includes " + describe(p) + ": broker " +
                  std::to_string(node) +
                  " would get that port, so it will be refused if it appears (counted as a port "
                  "collision); set brokers.port_range or move " +
                  p.key + " to avoid it");
  }
  return out;
}

std::vector<problem> complete_and_check(config& c) {
  complete(c);
  std::vector<problem> out;
  checker ck(out);
  check_rest(c, ck);
  check_bootstrap(c, ck);
  check_brokers(c, ck);
  check_ports(c, ck);
  check_tls(c, out);
  check_sni(c, out);
  check_sasl(c, out);
  return out;
}

result<config> validate(config c) {
  auto problems = complete_and_check(c);
  if (problems.empty()) return c;
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "\n") + p.message;
  return error{text};
}

}  // namespace kpp::config
