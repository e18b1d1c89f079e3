// Advertised host names derived from a node id: "b{node_id}.abc.example.com".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpp::routing {

class host_template {
 public:
  // Returns nullopt and sets `why` when the pattern is empty, has an unknown placeholder or
  // an unbalanced brace, or renders to something that is not a host name.
  static std::optional<host_template> parse(std::string_view pattern, std::string* why);

  [[nodiscard]] std::string render(std::int32_t node_id) const;
  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
  [[nodiscard]] bool has_node_id() const noexcept { return has_node_id_; }

 private:
  std::string pattern_;
  bool has_node_id_ = false;
};

}  // namespace kpp::routing
