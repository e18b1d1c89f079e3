// Durations ("30s", "5m", "100ms", "1h", Go's "1m30s") and byte sizes ("100MiB", "4096").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpp::config {

using millis = std::chrono::milliseconds;

// Go time.ParseDuration syntax (grepplabs flags use it): a sequence of decimal numbers, each
// with an optional fraction and a unit ns|us|µs|ms|s|m|h; "0" alone is allowed. The result
// must be a whole number of milliseconds (the proxy's resolution) and not negative. nullopt
// when the text is not of that form.
[[nodiscard]] std::optional<millis> parse_duration(std::string_view text);

// Shortest exact spelling: 0, 250ms, 30s, 5m, 1h, 1m30s.
[[nodiscard]] std::string format_duration(millis d);

// "4096", "64KiB", "100MiB", "1GiB", also decimal "64KB", "1MB", "1GB" and a "B" suffix.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

// Shortest exact spelling with a binary unit when the value is a multiple of one: 64KiB.
[[nodiscard]] std::string format_size(std::uint64_t bytes);

}  // namespace kpp::config
