#include "kpp/routing/fetch_reserve.h"

#include <algorithm>

#include "kpp/protocol/fetch_response_tail.h"

namespace kpp::routing {

std::size_t fetch_tail_reserve(std::span<const broker_route> routes) {
  std::size_t longest_advertised = 0;
  std::size_t shortest_upstream = SIZE_MAX;
  for (const auto& r : routes) {
    longest_advertised = std::max(longest_advertised, r.advertised.host.size());
    shortest_upstream = std::min(shortest_upstream, r.upstream ? r.upstream->host.size() : 0);
  }
  if (routes.empty()) shortest_upstream = 0;
  const std::size_t growth =
      longest_advertised > shortest_upstream ? longest_advertised - shortest_upstream : 0;
  // Saturating: a huge map lands on the cap rather than wrapping around.
  const std::size_t per_entry = growth + 1;
  constexpr std::size_t fixed = 4 + protocol::fetch_tail_min_reserve;
  const std::size_t entries =
      per_entry > (fetch_reserve_cap / std::max<std::size_t>(routes.size(), 1))
          ? fetch_reserve_cap
          : routes.size() * per_entry;
  return std::clamp(entries + fixed, fetch_reserve_floor, fetch_reserve_cap);
}

}  // namespace kpp::routing
