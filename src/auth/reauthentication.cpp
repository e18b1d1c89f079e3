#include "kpp/auth/reauthentication.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kpp::auth {

std::optional<std::chrono::milliseconds> reauthentication_delay(std::int64_t session_lifetime_ms,
                                                                double jitter) noexcept {
  if (session_lifetime_ms <= 0) return std::nullopt;
  session_lifetime_ms = std::min<std::int64_t>(session_lifetime_ms, max_session_lifetime_ms);
  // NaN would break std::clamp's precondition; treat it as the window's start.
  const double j = std::isnan(jitter) ? 0.0 : std::clamp(jitter, 0.0, 1.0);
  const double fraction = 0.85 + 0.10 * j;
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(session_lifetime_ms) * fraction));
}

std::optional<reauthentication_plan> plan_reauthentication(
    std::int64_t session_lifetime_ms, double jitter, std::chrono::milliseconds grace) noexcept {
  const auto due = reauthentication_delay(session_lifetime_ms, jitter);
  if (!due) return std::nullopt;
  const auto g = std::clamp<std::int64_t>(grace.count(), 0, max_session_lifetime_ms);
  const auto give_up = std::min<std::int64_t>(session_lifetime_ms, max_session_lifetime_ms) + g;
  return reauthentication_plan{*due, std::chrono::milliseconds(give_up)};
}

}  // namespace kpp::auth
