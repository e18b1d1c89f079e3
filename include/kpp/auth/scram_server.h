// SCRAM-SHA-256/512 server (RFC 5802): verifies a client against stored salted credentials
// (the password is never needed). One instance per login attempt.
#pragma once

#include <cstdint>
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

struct scram_server_options {
  std::string server_nonce;  // empty: 24 random bytes, base64. Tests pass a fixed one.
  // With a decoy key, an unknown user gets a server-first like a real one (salt derived
  // from the key and the name, so it is the same on every attempt; decoy_iterations) and
  // fails only at the proof, so a client cannot tell names from passwords (RFC 5802
  // section 9). The key must be secret and stable for the process. Empty: fail at once.
  std::string decoy_key;
  std::uint32_t decoy_iterations = 8192;
};

class scram_server {
 public:
  scram_server(mechanism m, credential_lookup lookup, scram_server_options opts = {});

  // Parses the client-first and answers the server-first. unknown_user when the lookup has
  // nothing (at the proof instead, with a decoy key); an authzid other than the username is
  // refused, as Kafka does.
  [[nodiscard]] auth_result<std::string> first_response(std::string_view client_first);
  // Checks channel binding, nonce and proof; answers "v=<ServerSignature>" on success,
  // bad_password when the proof does not match.
  [[nodiscard]] auth_result<std::string> final_response(std::string_view client_final);

  [[nodiscard]] const std::string& username() const noexcept { return username_; }

 private:
  enum class step { initial, sent_first, done };
  mechanism mech_;
  credential_lookup lookup_;
  scram_server_options opts_;
  bool decoy_ = false;  // an unknown user answered with a decoy server-first
  std::string username_;
  std::string gs2_header_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string server_first_;
  scram_credential cred_;
  step step_ = step::initial;
};

}  // namespace kpp::auth
