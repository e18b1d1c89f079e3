// SASL PLAIN (RFC 4616): authzid NUL authcid NUL passwd. The server side checks the password
// against the same salted SCRAM credential the users file stores, so no plaintext password
// is kept anywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/scram_keys.h"

namespace kpp::auth {

// The client's message with an empty authzid; fails on a non-ASCII name or password.
[[nodiscard]] auth_result<std::string> plain_message(std::string_view username,
                                                     std::string_view password);

struct plain_credentials {
  std::string authzid;  // empty, or equal to username (Kafka refuses any other)
  std::string username;
  std::string password;
};
// Exactly two NULs, a non-empty name and password, authzid empty or the name itself.
[[nodiscard]] auth_result<plain_credentials> parse_plain(std::string_view msg);

// Derives SaltedPassword with the credential's salt and iterations and compares StoredKey in
// constant time: true on a match.
[[nodiscard]] auth_result<bool> verify_password(const scram_credential& cred,
                                                std::string_view password);

}  // namespace kpp::auth
