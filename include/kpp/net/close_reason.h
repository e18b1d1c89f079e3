// The session's vocabulary: why a session hit a protocol error and why it ended. Net owns it;
// admin renders it as the `cause` and `reason` labels. Header-only and free of asio, so the
// admin library can include it without depending on net.
//
// To add a value, add one line to the list: the label value is the identifier, and every
// value is always rendered (0 until it happens), so dashboards can rate() it without waiting
// for the first occurrence.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kpp::net {

#define KPP_PROTOCOL_ERROR_CAUSES(X) \
  X(frame_too_large)                 \
  X(malformed_header)                \
  X(unknown_api_key)                 \
  X(forbidden_api_key)               \
  X(correlation_mismatch)            \
  X(rewrite_failed)                  \
  X(unmapped_node)                   \
  X(truncated_frame)                 \
  X(tls_on_plaintext_listener)       \
  X(http_on_kafka_port)              \
  X(tls_from_upstream)               \
  X(proxy_protocol_invalid)          \
  X(proxy_protocol_untrusted_source) \
  X(idle_timeout)                    \
  X(sasl_mechanism_unsupported)      \
  X(plaintext_on_tls_listener)       \
  X(tls_handshake_failed)            \
  X(client_sasl_refused)             \
  X(client_login_failed)             \
  X(request_before_login)            \
  X(internal_error)

#define KPP_CLOSE_REASONS(X) \
  X(client_closed)           \
  X(upstream_closed)         \
  X(client_io_error)         \
  X(upstream_io_error)       \
  X(upstream_dial_failed)    \
  X(protocol_error)          \
  X(idle_timeout)            \
  X(first_bytes_timeout)     \
  X(connection_limit)        \
  X(shutdown)                \
  X(upstream_login_failed)   \
  X(client_login_failed)     \
  X(internal_error)

#define KPP_ENUM_ITEM(name) name,
enum class protocol_error_cause : std::uint8_t { KPP_PROTOCOL_ERROR_CAUSES(KPP_ENUM_ITEM) };
enum class close_reason : std::uint8_t { KPP_CLOSE_REASONS(KPP_ENUM_ITEM) };
#undef KPP_ENUM_ITEM

#define KPP_ENUM_NAME(name) std::string_view(#name),
inline constexpr std::array protocol_error_cause_names{KPP_PROTOCOL_ERROR_CAUSES(KPP_ENUM_NAME)};
inline constexpr std::array close_reason_names{KPP_CLOSE_REASONS(KPP_ENUM_NAME)};
#undef KPP_ENUM_NAME

inline constexpr std::size_t protocol_error_cause_count = protocol_error_cause_names.size();
inline constexpr std::size_t close_reason_count = close_reason_names.size();

[[nodiscard]] constexpr std::string_view to_string(protocol_error_cause c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < protocol_error_cause_count ? protocol_error_cause_names[i] : "unknown";
}
[[nodiscard]] constexpr std::string_view to_string(close_reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < close_reason_count ? close_reason_names[i] : "unknown";
}

}  // namespace kpp::net
