// SCRAM key derivation (RFC 5802 section 3) on OpenSSL's libcrypto, and the salted
// credential a server stores instead of the password.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/mechanism.h"

namespace kpp::auth {

// Kafka's floor (ScramMechanism.minIterations) and a ceiling that bounds the PBKDF2 work a
// peer or a users file can make us do.
inline constexpr std::uint32_t scram_min_iterations = 4096;
inline constexpr std::uint32_t scram_max_iterations = 1'000'000;

struct scram_credential {
  mechanism mech = mechanism::scram_sha_512;  // SCRAM-SHA-256 or -512
  std::string salt;                           // raw bytes
  std::uint32_t iterations = scram_min_iterations;
  std::string stored_key;  // H(ClientKey), raw bytes
  std::string server_key;  // HMAC(SaltedPassword, "Server Key"), raw bytes
};

// Digest size of a SCRAM mechanism's hash (32 or 64); 0 for PLAIN.
[[nodiscard]] std::size_t digest_size(mechanism m) noexcept;

[[nodiscard]] auth_result<std::string> hmac(mechanism m, std::string_view key,
                                            std::string_view data);
[[nodiscard]] auth_result<std::string> digest(mechanism m, std::string_view data);
// Hi(password, salt, i) = PBKDF2-HMAC-H.
[[nodiscard]] auth_result<std::string> salted_password(mechanism m, std::string_view password,
                                                       std::string_view salt,
                                                       std::uint32_t iterations);
// The stored form of `password` under `salt`/`iterations`.
[[nodiscard]] auth_result<scram_credential> make_scram_credential(mechanism m,
                                                                  std::string_view password,
                                                                  std::string_view salt,
                                                                  std::uint32_t iterations);
// Equal length and content, in time independent of the content (CRYPTO_memcmp).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;
// `n` bytes from RAND_bytes.
[[nodiscard]] auth_result<std::string> random_bytes(std::size_t n);

}  // namespace kpp::auth
