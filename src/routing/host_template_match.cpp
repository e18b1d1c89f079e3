#include "kpp/routing/host_template_match.h"

#include <limits>

namespace kpp::routing {
namespace {

constexpr std::string_view placeholder = "{node_id}";

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Walks pattern and name together, every placeholder standing for `id`'s decimal digits.
bool renders_to(std::string_view pattern, std::string_view id, std::string_view name) noexcept {
  std::size_t n = 0;
  for (std::size_t p = 0; p < pattern.size();) {
    if (pattern.substr(p, placeholder.size()) == placeholder) {
      if (name.substr(n, id.size()) != id) return false;
      n += id.size();
      p += placeholder.size();
      continue;
    }
    if (n >= name.size() || lower(pattern[p]) != lower(name[n])) return false;
    ++p;
    ++n;
  }
  return n == name.size();
}

}  // namespace

bool host_names_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<std::int32_t> match_node_id(const host_template& t, std::string_view name) noexcept {
  if (!t.has_node_id()) return std::nullopt;
  const std::string_view pattern = t.pattern();
  const auto first = pattern.find(placeholder);
  // The literal before the first placeholder must match; the id's digits start right after.
  if (name.size() < first) return std::nullopt;
  for (std::size_t i = 0; i < first; ++i)
    if (lower(pattern[i]) != lower(name[i])) return std::nullopt;
  std::size_t run = 0;
  while (first + run < name.size() && is_digit(name[first + run])) ++run;
  // A literal after the placeholder may itself start with digits ("b{node_id}0.x"), so try
  // every length of the digit run rather than the longest; render() is the judge.
  constexpr std::size_t max_digits = std::numeric_limits<std::int32_t>::digits10 + 1;  // 10
  for (std::size_t len = 1; len <= run && len <= max_digits; ++len) {
    const auto digits = name.substr(first, len);
    if (len > 1 && digits.front() == '0') break;  // render() never writes a leading zero
    std::int64_t id = 0;
    for (char c : digits) id = id * 10 + (c - '0');
    if (id > std::numeric_limits<std::int32_t>::max()) break;
    if (renders_to(pattern, digits, name)) return static_cast<std::int32_t>(id);
  }
  return std::nullopt;
}

}  // namespace kpp::routing
