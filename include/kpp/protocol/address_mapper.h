// The one question every address rewrite asks: what should clients see for this node?
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kpp::protocol {

enum class endpoint_kind : std::uint8_t { broker, controller };

// An address as the upstream wrote it.
struct endpoint {
  std::int32_t node_id;
  std::string_view host;
  std::int32_t port;
  endpoint_kind kind = endpoint_kind::broker;
};

// The address to hand to clients instead.
struct advertised_endpoint {
  std::string host;
  std::int32_t port;
  friend bool operator==(const advertised_endpoint&, const advertised_endpoint&) = default;
};

// Returns the replacement, or nullopt to refuse: the rewrite then fails with unmapped_node
// and the frame is never forwarded (no real address may reach a client). Called once per
// address entry, so it may do work (the proxy binds a listener for a new node here).
using address_mapper = std::function<std::optional<advertised_endpoint>(const endpoint&)>;

struct rewrite_stats {
  std::size_t addresses = 0;  // address entries replaced
  bool changed = false;       // false: `out` was left untouched, forward the input as is
};

}  // namespace kpp::protocol
