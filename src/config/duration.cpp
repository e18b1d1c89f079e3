#include "kpp/config/duration.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

namespace kpp::config {
namespace {

// Unit -> nanoseconds; longest spellings first so "ms" is not read as "m".
constexpr std::pair<std::string_view, double> duration_units[] = {
    {"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<millis> parse_duration(std::string_view text) {
  if (text == "0") return millis{0};
  if (text.empty()) return std::nullopt;
  double total_ns = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // number: digits, optional '.' and digits; at least one digit overall
    std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    std::size_t int_end = i;
    std::size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && is_digit(text[i])) ++i, ++frac_digits;
    }
    if (int_end == start && frac_digits == 0) return std::nullopt;
    double value = 0;
    for (std::size_t k = start; k < int_end; ++k) value = value * 10 + (text[k] - '0');
    double scale = 0.1;
    for (std::size_t k = int_end + 1; k < int_end + 1 + frac_digits; ++k, scale /= 10)
      value += (text[k] - '0') * scale;
    bool matched = false;
    for (const auto& [unit, ns] : duration_units) {
      if (text.substr(i, unit.size()) == unit) {
        total_ns += value * ns;
        i += unit.size();
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;  // a number needs a unit (only "0" stands alone)
    if (total_ns > 1e18) return std::nullopt;
  }
  const double ms = total_ns / 1e6;
  // Millisecond resolution: "1500us" is fine, "100us" is not a whole number of milliseconds.
  if (std::fabs(ms - std::round(ms)) > 1e-6) return std::nullopt;
  return millis{static_cast<std::int64_t>(std::llround(ms))};
}

std::string format_duration(millis d) {
  auto ms = d.count();
  if (ms == 0) return "0";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms % 1000 != 0 && ms > 1000) {
    // Go-style would be "1.5s"; keep it exact and simple.
    return out + std::to_string(ms) + "ms";
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  auto s = ms / 1000;
  const auto h = s / 3600;
  const auto m = (s % 3600) / 60;
  s %= 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && is_digit(text[i])) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  const auto unit = text.substr(i);
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB")
    mult = 1ull << 10;
  else if (unit == "MiB")
    mult = 1ull << 20;
  else if (unit == "GiB")
    mult = 1ull << 30;
  else if (unit == "KB" || unit == "kB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000 * 1000;
  else if (unit == "GB")
    mult = 1000 * 1000 * 1000;
  else
    return std::nullopt;
  if (value != 0 && mult > std::numeric_limits<std::uint64_t>::max() / value) return std::nullopt;
  return value * mult;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0) {
    if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
    if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  }
  return std::to_string(bytes);
}

}  // namespace kpp::config
