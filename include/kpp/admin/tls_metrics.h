// TLS metrics: per loaded certificate (listener or upstream client) its notAfter and reload
// outcomes, and handshake failures by leg and cause. Registered once, updated lock-free.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "kpp/admin/metrics.h"
#include "kpp/net/tls_handshake_cause.h"

namespace kpp::admin {

using net::tls_handshake_cause;
using net::tls_handshake_cause_count;
using net::tls_leg;

// One certificate the proxy presents (a listener's, or the upstream client certificate).
struct tls_certificate_metrics {
  gauge not_after_unix;  // 0 until loaded
  counter reloads;       // successful loads after the first
  counter reload_failures;
};

class tls_metrics {
 public:
  // "listener", "bootstrap:9092", "upstream": the same name returns the same object.
  [[nodiscard]] std::shared_ptr<tls_certificate_metrics> certificate(std::string_view name);

  void count_handshake_failure(tls_leg leg, tls_handshake_cause c) noexcept {
    failures_[static_cast<std::size_t>(leg)][static_cast<std::size_t>(c)].add();
  }
  [[nodiscard]] std::uint64_t handshake_failures(tls_leg leg,
                                                 tls_handshake_cause c) const noexcept {
    return failures_[static_cast<std::size_t>(leg)][static_cast<std::size_t>(c)].value();
  }

  void render_prometheus(std::string& out) const;

 private:
  std::array<std::array<counter, tls_handshake_cause_count>, 2> failures_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<tls_certificate_metrics>, std::less<>> certs_;
};

// The daemon's one instance (rendered by the registry's /metrics).
[[nodiscard]] tls_metrics& global_tls_metrics();

}  // namespace kpp::admin
