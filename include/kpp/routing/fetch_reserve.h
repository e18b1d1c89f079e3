// The reserve R a streamed flexible Fetch response is announced with: the upstream's frame
// size + R, so the rewritten KIP-951 NodeEndpoints fits in the frame after its body was
// forwarded (protocol/fetch_response_tail.h). Chosen from the broker map, since NodeEndpoints
// names the cluster's brokers.
#pragma once

#include <cstddef>
#include <span>

#include "kpp/routing/broker_map.h"

namespace kpp::routing {

// Never less: room for a broker the map has not seen yet (its route is made while the tail
// is rewritten) and for the padding field.
inline constexpr std::size_t fetch_reserve_floor = 64;
// Never more: every flexible Fetch response carries R extra bytes. A NodeEndpoints larger
// than this is dropped (and counted); clients then refresh their metadata instead.
inline constexpr std::size_t fetch_reserve_cap = 16 * 1024;

// R = brokers x (longest advertised host - shortest upstream host + 1) + 8, within
// [fetch_reserve_floor, fetch_reserve_cap]. Per entry, only the host changes size: Port is an
// int32 on the wire (4 bytes whatever its digits), and the host's compact length may widen by
// one byte. The 8: tag 0's size varint widening (4 at most) and fetch_tail_min_reserve (the
// padding field and the section count widening). Routes whose upstream is not known yet count
// their upstream host as empty.
[[nodiscard]] std::size_t fetch_tail_reserve(std::span<const broker_route> routes);

}  // namespace kpp::routing
