// The proxy's own login to the brokers (upstream.sasl): KIP-368 re-authentications on live
// connections, by outcome. A failure closes that client connection (its log line says why).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kpp/admin/metrics.h"

namespace kpp::admin {

enum class reauthentication_outcome : std::uint8_t { success, failure };
inline constexpr std::array<std::string_view, 2> reauthentication_outcome_names{"success",
                                                                                "failure"};

class upstream_login_metrics {
 public:
  void count(reauthentication_outcome o) noexcept {
    reauthentications_[static_cast<std::size_t>(o)].add();
  }
  [[nodiscard]] std::uint64_t value(reauthentication_outcome o) const noexcept {
    return reauthentications_[static_cast<std::size_t>(o)].value();
  }
  void render_prometheus(std::string& out) const;

 private:
  std::array<counter, reauthentication_outcome_names.size()> reauthentications_;
};

// The daemon's one instance (rendered on /metrics when upstream.sasl is set).
[[nodiscard]] upstream_login_metrics& global_upstream_login_metrics();

}  // namespace kpp::admin
