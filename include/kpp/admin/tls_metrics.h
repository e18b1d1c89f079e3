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

namespace kpp::admin {

// Why a TLS handshake failed. Same rules as the other vocabularies: add one line here.
#define KPP_TLS_HANDSHAKE_CAUSES(X) \
  X(unknown_ca)                     \
  X(cert_expired)                   \
  X(cert_not_yet_valid)             \
  X(name_mismatch)                  \
  X(cert_revoked)                   \
  X(client_cert_missing)            \
  X(client_subject_denied)          \
  X(protocol_version)               \
  X(no_shared_cipher)               \
  X(plaintext_client)               \
  X(plaintext_upstream)             \
  X(peer_alert)                     \
  X(timeout)                        \
  X(other)

#define KPP_ENUM_ITEM(name) name,
enum class tls_handshake_cause : std::uint8_t { KPP_TLS_HANDSHAKE_CAUSES(KPP_ENUM_ITEM) };
#undef KPP_ENUM_ITEM
#define KPP_ENUM_COUNT(name) +1
inline constexpr std::size_t tls_handshake_cause_count = 0 KPP_TLS_HANDSHAKE_CAUSES(KPP_ENUM_COUNT);
#undef KPP_ENUM_COUNT
[[nodiscard]] std::string_view to_string(tls_handshake_cause c) noexcept;

enum class tls_leg : std::uint8_t { client, upstream };
[[nodiscard]] std::string_view to_string(tls_leg l) noexcept;

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
