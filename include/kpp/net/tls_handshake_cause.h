// Why a TLS handshake failed, on which leg: net's vocabulary, rendered by admin as the
// `cause` and `leg` labels. Header-only and free of asio and OpenSSL (admin includes it).
// To add a cause, add one line; every cause is always rendered.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kpp::net {

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
  X(unrecognized_name)              \
  X(timeout)                        \
  X(other)

#define KPP_ENUM_ITEM(name) name,
enum class tls_handshake_cause : std::uint8_t { KPP_TLS_HANDSHAKE_CAUSES(KPP_ENUM_ITEM) };
#undef KPP_ENUM_ITEM
#define KPP_ENUM_NAME(name) std::string_view(#name),
inline constexpr std::array tls_handshake_cause_names{KPP_TLS_HANDSHAKE_CAUSES(KPP_ENUM_NAME)};
#undef KPP_ENUM_NAME
inline constexpr std::size_t tls_handshake_cause_count = tls_handshake_cause_names.size();

[[nodiscard]] constexpr std::string_view to_string(tls_handshake_cause c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < tls_handshake_cause_count ? tls_handshake_cause_names[i] : "unknown";
}

// client: the proxy is the TLS server (a listener); upstream: the proxy dials a broker.
enum class tls_leg : std::uint8_t { client, upstream };

[[nodiscard]] constexpr std::string_view to_string(tls_leg l) noexcept {
  return l == tls_leg::client ? "client" : "upstream";
}

}  // namespace kpp::net
