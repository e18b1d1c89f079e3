#include "kpp/routing/host_template.h"

#include <cctype>

namespace kpp::routing {
namespace {

constexpr std::string_view placeholder = "{node_id}";

bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == ':';  // ':' only for IPv6 literals
}

}  // namespace

std::optional<host_template> host_template::parse(std::string_view pattern, std::string* why) {
  auto fail = [&](std::string text) {
    if (why) *why = std::move(text);
    return std::nullopt;
  };
  if (pattern.empty()) return fail("is empty; expected a host name such as b{node_id}.example.com");
  host_template t;
  t.pattern_ = std::string(pattern);
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      if (pattern.substr(i, placeholder.size()) != placeholder) {
        auto close = pattern.find('}', i);
        auto name = pattern.substr(
            i, close == std::string_view::npos ? std::string_view::npos : close - i + 1);
        return fail("has an unknown placeholder " + std::string(name) +
                    "; the only placeholder is {node_id}, e.g. b{node_id}.example.com");
      }
      t.has_node_id_ = true;
      i += placeholder.size();
      continue;
    }
    if (pattern[i] == '}') return fail("has an unbalanced '}'; expected b{node_id}.example.com");
    if (!valid_host_char(pattern[i]))
      return fail("contains '" + std::string(1, pattern[i]) +
                  "', which cannot appear in a host name");
    ++i;
  }
  return t;
}

std::string host_template::render(std::int32_t node_id) const {
  if (!has_node_id_) return pattern_;
  std::string out;
  out.reserve(pattern_.size() + 8);
  const auto id = std::to_string(node_id);
  for (std::size_t i = 0; i < pattern_.size();) {
    if (pattern_.compare(i, placeholder.size(), placeholder) == 0) {
      out += id;
      i += placeholder.size();
    } else {
      out += pattern_[i++];
    }
  }
  return out;
}

}  // namespace kpp::routing
