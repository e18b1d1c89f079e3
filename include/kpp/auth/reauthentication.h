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

// One re-authentication, in time since the login it renews. At `due` the proxy stops sending
// the client's requests and waits for the answers owed; they must all be back by `give_up`,
// the session's expiry plus `grace` (a broker still takes a SaslHandshake on an expired
// session, only other requests close it), or the connection is closed.
struct reauthentication_plan {
  std::chrono::milliseconds due{0};
  std::chrono::milliseconds give_up{0};
};

// nullopt when the broker set no lifetime. `jitter` as for reauthentication_delay; a negative
// `grace` counts as 0.
[[nodiscard]] std::optional<reauthentication_plan> plan_reauthentication(
    std::int64_t session_lifetime_ms, double jitter, std::chrono::milliseconds grace) noexcept;

}  // namespace kpp::auth
