// KIP-368: when to log in again on a connection whose broker gave a session lifetime.
// Like the Java client, at a random point between 85% and 95% of the lifetime, so many
// connections opened together do not re-authenticate together, and well before expiry.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace kpp::auth {

// nullopt when the broker set no lifetime (0 or negative): never re-authenticate.
// `jitter` in [0, 1] picks the point in the window (the caller draws it); out-of-range
// values are clamped.
[[nodiscard]] std::optional<std::chrono::milliseconds> reauthentication_delay(
    std::int64_t session_lifetime_ms, double jitter) noexcept;

}  // namespace kpp::auth
