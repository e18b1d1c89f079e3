// Builds the status page's snapshot (admin/status.h) from what the daemon holds: the
// metrics registry, the broker map and the readiness state.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "kpp/admin/error_history.h"
#include "kpp/admin/metrics.h"
#include "kpp/admin/status.h"
#include "kpp/routing/broker_map.h"

namespace kpp::app {

struct readiness {
  bool ready = false;
  std::string reason;
  std::string degraded;  // while ready: what it cannot do (e.g. passive discovery)
};

// `brokers` may be null (before start). `history` turns error totals into recent counts.
[[nodiscard]] admin::status_snapshot build_status(const admin::registry& metrics,
                                                  const routing::broker_map* brokers,
                                                  readiness ready, admin::error_history& history,
                                                  std::chrono::steady_clock::time_point now);

}  // namespace kpp::app
