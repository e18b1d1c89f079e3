// host:port pairs as users write them ("10.0.0.1:9092", "[::1]:9092", "b1.example.com:9093").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpp::routing {

struct host_port {
  std::string host;
  std::uint16_t port = 0;

  [[nodiscard]] std::string str() const;  // brackets IPv6 literals
  friend auto operator<=>(const host_port&, const host_port&) = default;
};

// nullopt when there is no port, the port is not 1..65535, or the host is empty.
[[nodiscard]] std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace kpp::routing
