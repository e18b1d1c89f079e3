#include "kpp/routing/map_hash.h"

#include <algorithm>
#include <string>
#include <vector>

namespace kpp::routing {

std::uint64_t map_hash(std::span<const broker_route> routes) {
  if (routes.empty()) return 0;
  std::vector<const broker_route*> sorted;
  sorted.reserve(routes.size());
  for (const auto& r : routes) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const broker_route* a, const broker_route* b) { return a->node_id < b->node_id; });
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view text) {
    for (unsigned char c : text) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const auto* r : sorted) {
    mix(std::to_string(r->node_id));
    mix("=");
    mix(r->advertised.str());
    mix("@");
    mix(r->local_listener ? std::to_string(r->listen.port) : std::string("external"));
    mix(";");
  }
  // Fold the high bits in rather than dropping them.
  return (h ^ (h >> 52)) & ((std::uint64_t{1} << 52) - 1);
}

}  // namespace kpp::routing
