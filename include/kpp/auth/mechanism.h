// The SASL mechanisms the proxy speaks, by their IANA names.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kpp::auth {

enum class mechanism : std::uint8_t { plain, scram_sha_256, scram_sha_512 };

[[nodiscard]] std::string_view name(mechanism m) noexcept;  // "PLAIN", "SCRAM-SHA-256", ...
// Exact, case-sensitive as Kafka compares them.
[[nodiscard]] std::optional<mechanism> parse_mechanism(std::string_view s) noexcept;
[[nodiscard]] constexpr bool is_scram(mechanism m) noexcept {
  return m != mechanism::plain;
}

}  // namespace kpp::auth
