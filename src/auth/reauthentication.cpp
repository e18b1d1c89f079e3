#include "kpp/auth/reauthentication.h"

#include <algorithm>
#include <cmath>

namespace kpp::auth {

std::optional<std::chrono::milliseconds> reauthentication_delay(std::int64_t session_lifetime_ms,
                                                                double jitter) noexcept {
  if (session_lifetime_ms <= 0) return std::nullopt;
  // NaN would break std::clamp's precondition; treat it as the window's start.
  const double j = std::isnan(jitter) ? 0.0 : std::clamp(jitter, 0.0, 1.0);
  const double fraction = 0.85 + 0.10 * j;
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(session_lifetime_ms) * fraction));
}

}  // namespace kpp::auth
