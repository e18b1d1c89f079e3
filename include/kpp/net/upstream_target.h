// Where a listener's connections go.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "kpp/routing/host_port.h"

namespace kpp::net {

class tls_context_store;

struct upstream_target {
  enum class kind : std::uint8_t {
    broker,     // the broker map's current address of node_id
    bootstrap,  // any reachable bootstrap server, tried in turn
    fixed,      // one configured address (grepplabs --bootstrap-server-mapping)
    sni,        // routing: sni; the TLS server name picks broker or bootstrap (addresses)
  };
  kind type = kind::bootstrap;
  std::int32_t node_id = -1;
  std::vector<routing::host_port> addresses;  // bootstrap or fixed
  // A bootstrap listener's own `tls` block replaces the top-level one for its connections: a
  // store, or null for plaintext. Unset: proxy_context::client_tls.
  std::optional<std::shared_ptr<tls_context_store>> client_tls{};
};

}  // namespace kpp::net
