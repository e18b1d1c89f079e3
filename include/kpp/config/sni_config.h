// routing: sni — one TLS port for the bootstrap name and every broker; the server name a
// client asks for in its TLS ClientHello (SNI) picks the broker. The default stays one port
// per broker (routing: ports).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/routing/host_port.h"

namespace kpp::config {

enum class routing_mode : std::uint8_t { ports, sni };

[[nodiscard]] std::string_view to_string(routing_mode m) noexcept;  // ports | sni
[[nodiscard]] std::optional<routing_mode> parse_routing_mode(std::string_view s) noexcept;

// A certificate served to the names it covers (its SANs), instead of tls.cert_file. The key
// is read unencrypted.
struct sni_certificate {
  std::string cert_file;
  std::string key_file;
  friend bool operator==(const sni_certificate&, const sni_certificate&) = default;
};

struct sni_config {
  // The one client-facing port; its host defaults to `listen`, its port to 9093.
  routing::host_port listen{"", 9093};
  // The name clients bootstrap from (and a client sending no SNI gets): forwarded to any
  // bootstrap server. Brokers are named by brokers.advertised_host with {node_id}.
  std::string bootstrap_host;
  // Per-name certificates, chosen by the server name; the first that covers it wins. A name
  // none covers gets tls.cert_file (e.g. a wildcard).
  std::vector<sni_certificate> certificates;
  friend bool operator==(const sni_config&, const sni_config&) = default;
};

}  // namespace kpp::config
