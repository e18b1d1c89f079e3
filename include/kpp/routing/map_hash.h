// A fingerprint of the broker map as clients see it: node id, advertised host:port and the
// listen port. Replicas behind one load balancer must serve the same map; each exports this
// value (kafka_psc_proxy_broker_map_hash) and `check` prints it, so a disagreement shows as
// two values. Upstream addresses are left out: replicas may dial brokers differently.
#pragma once

#include <cstdint>
#include <span>

#include "kpp/routing/broker_map.h"

namespace kpp::routing {

// FNV-1a 64 over the routes in node id order, folded to 52 bits (exact in a double).
// 0 for an empty map.
[[nodiscard]] std::uint64_t map_hash(std::span<const broker_route> routes);

}  // namespace kpp::routing
