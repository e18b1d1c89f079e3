// grepplabs (Go) spells cipher suites and curves the Go way; OpenSSL spells them its own way.
// These tables translate, so a drop-in command line keeps working.
#pragma once

#include <optional>
#include <string_view>

namespace kpp::net {

// "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" -> "ECDHE-RSA-AES128-GCM-SHA256". TLS 1.3 suites
// ("TLS_AES_128_GCM_SHA256") are the same in both and are not in this table.
[[nodiscard]] std::optional<std::string_view> openssl_cipher_for_go(std::string_view go_name);

// True for the TLS 1.3 suite names (OpenSSL sets those with a separate call).
[[nodiscard]] bool is_tls13_suite(std::string_view name) noexcept;

// "CurveP256", "P256", "P-256", "prime256v1", "secp256r1" -> "P-256"; "X25519" -> "X25519".
// Anything else is returned unchanged for OpenSSL to judge.
[[nodiscard]] std::string_view openssl_curve_name(std::string_view name) noexcept;

}  // namespace kpp::net
