// SCRAM-SHA-256/512 server (RFC 5802): verifies a client against stored salted credentials
// (the password is never needed). One instance per login attempt.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/mechanism.h"
#include "kpp/auth/scram_keys.h"

namespace kpp::auth {

// The stored credential of `username` for the mechanism asked, or nullopt when unknown.
using credential_lookup =
    std::function<std::optional<scram_credential>(std::string_view username, mechanism m)>;

class scram_server {
 public:
  // `server_nonce` empty: 24 random bytes, base64. Tests pass a fixed one.
  scram_server(mechanism m, credential_lookup lookup, std::string server_nonce = {});

  // Parses the client-first and answers the server-first. unknown_user when the lookup has
  // nothing; an authzid other than the username is refused, as Kafka does.
  [[nodiscard]] auth_result<std::string> first_response(std::string_view client_first);
  // Checks channel binding, nonce and proof; answers "v=<ServerSignature>" on success,
  // bad_password when the proof does not match.
  [[nodiscard]] auth_result<std::string> final_response(std::string_view client_final);

  [[nodiscard]] const std::string& username() const noexcept { return username_; }

 private:
  enum class step { initial, sent_first, done };
  mechanism mech_;
  credential_lookup lookup_;
  std::string server_nonce_;
  std::string username_;
  std::string gs2_header_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string server_first_;
  scram_credential cred_;
  step step_ = step::initial;
};

}  // namespace kpp::auth
