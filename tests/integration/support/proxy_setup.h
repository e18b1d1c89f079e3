// A node-id-policy proxy in front of a mock cluster, as YAML: the shape most integration
// tests start from. Ports are free loopback ports; broker N listens on base_port + N.
#pragma once

#include <cstdint>
#include <string>

namespace kpp::test {

struct node_id_proxy {
  std::uint16_t bootstrap_port = 0;  // client-facing bootstrap listener
  std::uint16_t base_port = 0;       // node id 0's port; broker N is base_port + N
  int port_range = 0;                // node ids 0 .. port_range-1 fit
  std::uint16_t admin_port = 0;
  std::string upstream;                       // bootstrap.servers ("h:p,h:p")
  std::string advertised_host = "127.0.0.1";  // brokers.advertised_host (may hold {node_id})
  std::string extra_yaml;                     // appended verbatim: more top-level sections
  // More entries under bootstrap.listeners, verbatim, e.g. a port fixed to one upstream:
  // "    - listen: 127.0.0.1:P\n      upstream: 127.0.0.1:U\n".
  std::string extra_listeners_yaml;

  // Free ports for a cluster whose node ids are 1..max_node_id.
  static node_id_proxy for_cluster(const std::string& upstream, int max_node_id);
  [[nodiscard]] std::uint16_t broker_port(std::int32_t node_id) const {
    return static_cast<std::uint16_t>(base_port + node_id);
  }
  [[nodiscard]] std::string bootstrap() const {
    return "127.0.0.1:" + std::to_string(bootstrap_port);
  }
  [[nodiscard]] std::string yaml() const;
};

}  // namespace kpp::test
