#include "support/proxy_setup.h"

#include "support/ports.h"

namespace kpp::test {

node_id_proxy node_id_proxy::for_cluster(const std::string& upstream, int max_node_id) {
  node_id_proxy p;
  p.port_range = max_node_id + 1;
  // One run: the bootstrap port, then node ids 0..max_node_id.
  const auto run = free_port_run(1 + p.port_range);
  p.bootstrap_port = run;
  p.base_port = static_cast<std::uint16_t>(run + 1);
  p.admin_port = free_port();
  p.upstream = upstream;
  return p;
}

std::string node_id_proxy::yaml() const {
  std::string servers = "[";
  std::size_t start = 0;
  for (;;) {
    const auto comma = upstream.find(',', start);
    servers += (start ? ", " : "") + upstream.substr(start, comma - start);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  servers += "]";
  return "listen: 127.0.0.1\n"
         "threads: 2\n"
         "bootstrap:\n"
         "  servers: " +
         servers +
         "\n"
         "  listeners:\n"
         "    - listen: 127.0.0.1:" +
         std::to_string(bootstrap_port) + "\n" + extra_listeners_yaml +
         "brokers:\n"
         "  port_policy: node-id\n"
         "  base_port: " +
         std::to_string(base_port) +
         "\n"
         "  node_id_offset: 0\n"
         "  port_range: " +
         std::to_string(port_range) +
         "\n"
         "  listen_host: 127.0.0.1\n"
         "  advertised_host: \"" +
         advertised_host +
         "\"\n"
         "discovery:\n"
         "  metadata_refresh: 1s\n"
         "admin:\n"
         "  address: 127.0.0.1:" +
         std::to_string(admin_port) +
         "\n"
         "log:\n"
         "  level: info\n" +
         extra_yaml;
}

}  // namespace kpp::test
