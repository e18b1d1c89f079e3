// Client authentication at the proxy (listeners.sasl): login outcomes by kind, never by user
// name (a label per name would let anyone grow the metric set), and requests refused because
// they came before a successful login.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kpp/admin/metrics.h"

namespace kpp::admin {

enum class client_auth_outcome : std::uint8_t {
  success,
  bad_password,
  unknown_user,
  mechanism,  // a mechanism the listener does not enable
  malformed,  // a SASL exchange that does not follow its grammar
};
inline constexpr std::array<std::string_view, 5> client_auth_outcome_names{
    "success", "bad_password", "unknown_user", "mechanism", "malformed"};

class client_auth_metrics {
 public:
  void count(client_auth_outcome o) noexcept { outcomes_[static_cast<std::size_t>(o)].add(); }
  void count_request_before_auth() noexcept { before_auth_.add(); }
  [[nodiscard]] std::uint64_t value(client_auth_outcome o) const noexcept {
    return outcomes_[static_cast<std::size_t>(o)].value();
  }
  void render_prometheus(std::string& out) const;

 private:
  std::array<counter, client_auth_outcome_names.size()> outcomes_;
  counter before_auth_;
};

// The daemon's one instance (rendered on /metrics when listeners.sasl is set).
[[nodiscard]] client_auth_metrics& global_client_auth_metrics();

}  // namespace kpp::admin
