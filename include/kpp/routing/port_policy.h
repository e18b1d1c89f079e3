// How a broker's local port is chosen. The node-id policy is pure arithmetic, so every
// replica computes the same map; sequential is first-seen order (grepplabs-compatible).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace kpp::routing {

enum class port_policy : std::uint8_t { node_id, sequential, static_only };

struct port_range {
  std::uint16_t base = 0;
  std::int32_t node_id_offset = 0;  // node-id policy: port = base + node_id - offset
  std::uint32_t size = 0;           // ports in [base, base + size); 0 = up to 65535
};

// node-id policy. Returns the port, or nullopt with `why` naming the node id, the formula and
// the configured range.
std::optional<std::uint16_t> node_id_port(const port_range& range, std::int32_t node_id,
                                          std::string* why);

// sequential policy: the lowest port in range not in `taken`.
std::optional<std::uint16_t> next_sequential_port(const port_range& range,
                                                  const std::set<std::uint16_t>& taken,
                                                  std::string* why);

}  // namespace kpp::routing
