#include "kpp/routing/port_policy.h"

namespace kpp::routing {
namespace {

std::uint32_t range_end(const port_range& r) {  // exclusive
  const std::uint32_t end = r.size == 0 ? 65536u : std::uint32_t{r.base} + r.size;
  return end > 65536u ? 65536u : end;
}

std::string describe(const port_range& r) {
  return "[" + std::to_string(r.base) + ", " + std::to_string(range_end(r)) + ")";
}

}  // namespace

std::optional<std::uint16_t> node_id_port(const port_range& range, std::int32_t node_id,
                                          std::string* why) {
  const std::int64_t port =
      std::int64_t{range.base} + std::int64_t{node_id} - std::int64_t{range.node_id_offset};
  if (port < range.base || port >= range_end(range)) {
    if (why)
      *why = "broker " + std::to_string(node_id) + " maps to port " + std::to_string(port) +
             " (base_port " + std::to_string(range.base) + " + node id - node_id_offset " +
             std::to_string(range.node_id_offset) + "), outside the broker port range " +
             describe(range) + "; adjust brokers.base_port, brokers.node_id_offset or " +
             "brokers.port_range";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

std::optional<std::uint16_t> next_sequential_port(const port_range& range,
                                                  const std::set<std::uint16_t>& taken,
                                                  std::string* why) {
  for (std::uint32_t p = range.base; p < range_end(range); ++p) {
    if (!taken.contains(static_cast<std::uint16_t>(p))) return static_cast<std::uint16_t>(p);
  }
  if (why)
    *why = "no free port left in the dynamic port range " + describe(range) +
           "; raise --dynamic-sequential-max-ports (brokers.port_range)";
  return std::nullopt;
}

}  // namespace kpp::routing
