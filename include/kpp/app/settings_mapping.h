// The validated config, translated into what each layer takes. The only place that knows
// both config/ and the layers' own settings structs.
#pragma once

#include <string>
#include <vector>

#include "kpp/config/config.h"
#include "kpp/discovery/metadata_poller.h"
#include "kpp/net/session_settings.h"
#include "kpp/net/upstream_target.h"
#include "kpp/routing/broker_map.h"

namespace kpp::app {

[[nodiscard]] net::session_settings session_settings_from(const config::config& c);
[[nodiscard]] routing::map_settings map_settings_from(const config::config& c);
[[nodiscard]] discovery::poller_settings poller_settings_from(const config::config& c);
[[nodiscard]] std::vector<routing::static_node> static_nodes_from(const config::config& c);

// Upstream bootstrap servers: the configured list, else the upstreams of the address mappings.
[[nodiscard]] std::vector<routing::host_port> bootstrap_servers(const config::config& c);

struct bootstrap_port {
  routing::host_port listen;
  net::upstream_target target;
};
// Bootstrap listeners plus one fixed listener per address mapping (grepplabs mappings).
[[nodiscard]] std::vector<bootstrap_port> bootstrap_ports(const config::config& c);

}  // namespace kpp::app
