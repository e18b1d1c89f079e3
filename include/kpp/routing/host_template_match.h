// The advertised-host template read backwards: which node id does a host name (a TLS SNI
// name, in routing: sni) stand for? Total: any name that render() of no node id produces
// gives nullopt, whatever its bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kpp/routing/host_template.h"

namespace kpp::routing {

// The node id n >= 0 with t.render(n) equal to `name`, ignoring ASCII case (DNS names are
// case-insensitive). A template without {node_id} matches no name: it names no broker.
[[nodiscard]] std::optional<std::int32_t> match_node_id(const host_template& t,
                                                        std::string_view name) noexcept;

// ASCII case-insensitive equality (host names; no locale).
[[nodiscard]] bool host_names_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace kpp::routing
