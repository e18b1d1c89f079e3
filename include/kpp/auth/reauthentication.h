// KIP-368: when to log in again on a connection whose broker gave a session lifetime.
// Like the Java client, at a random point between 85% and 95% of the lifetime, so many
// connections opened together do not re-authenticate together, and well before expiry.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace kpp::auth {

// Longer lifetimes (and graces) count as this one, 2^31 ms (24.8 days): a deadline on
// steady_clock's 64-bit nanoseconds must not overflow when a broker sends Long.MAX_VALUE.
inline constexpr std::int64_t max_session_lifetime_ms = std::int64_t{1} << 31;

// nullopt when the broker set no lifetime (0 or negative): never re-authenticate.
// `jitter` in [0, 1] picks the point in the window (the caller draws it); out-of-range
// values are clamped.
[[nodiscard]] std::optional<std::chrono::milliseconds> reauthentication_delay(
    std::int64_t session_lifetime_ms, double jitter) noexcept;

// One re-authentication, in time since the login it renews. At `due` the proxy stops sending
// the client's requests and waits for the answers owed; they must all be back by `give_up`,
// the session's expiry plus `grace` (a broker still takes a SaslHandshake on an expired
// session, only other requests close it). The session bounds by it only a frame still being
// relayed; answers the broker owes are waited for as long as they take.
struct reauthentication_plan {
  std::chrono::milliseconds due{0};
  std::chrono::milliseconds give_up{0};
};

// nullopt when the broker set no lifetime. `jitter` as for reauthentication_delay; a negative
// `grace` counts as 0.
[[nodiscard]] std::optional<reauthentication_plan> plan_reauthentication(
    std::int64_t session_lifetime_ms, double jitter, std::chrono::milliseconds grace) noexcept;

}  // namespace kpp::auth
