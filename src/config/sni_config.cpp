#include "kpp/config/sni_config.h"

namespace kpp::config {

std::string_view to_string(routing_mode m) noexcept {
  return m == routing_mode::sni ? "sni" : "ports";
}

std::optional<routing_mode> parse_routing_mode(std::string_view s) noexcept {
  if (s == "ports") return routing_mode::ports;
  if (s == "sni") return routing_mode::sni;
  return std::nullopt;
}

}  // namespace kpp::config
