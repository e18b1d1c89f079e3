// Server side of a Kafka SASL login, pure: takes the bodies of a client's SaslHandshake
// (v1) and SaslAuthenticate (v0-2) requests and answers them, verifying PLAIN and SCRAM
// against stored salted credentials. Bad password and unknown user get the same answer
// (SASL_AUTHENTICATION_FAILED, one message; for SCRAM at the same step, given a decoy key)
// so names cannot be probed; the outcome tells them apart for counting. The caller frames the
// answers and closes after a failure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/mechanism.h"
#include "kpp/auth/scram_server.h"
#include "kpp/protocol/bytes.h"

namespace kpp::auth {

enum class login_outcome : std::uint8_t {
  success,
  bad_password,
  unknown_user,
  unsupported_mechanism,  // a handshake naming a mechanism not enabled
  malformed,              // a SASL token that does not follow its mechanism's grammar
};

struct sasl_server_config {
  std::vector<mechanism> enabled;         // in the order the handshake error lists them
  std::int64_t session_lifetime_ms = 0;   // sent on success (v1+); 0 = none
  std::string decoy_key;                  // see scram_server_options; random per process
  std::uint32_t decoy_iterations = 8192;  // as the users file writes by default
};

struct sasl_server_reply {
  protocol::byte_buffer body;            // the response body, at the request's version
  std::optional<login_outcome> outcome;  // set when the exchange ended
  std::string principal;                 // the user name, on success
};

class sasl_server_session {
 public:
  // `server_nonce`: for tests; empty = random.
  sasl_server_session(sasl_server_config cfg, credential_lookup lookup,
                      std::string server_nonce = {});
  ~sasl_server_session();
  sasl_server_session(const sasl_server_session&) = delete;
  sasl_server_session& operator=(const sasl_server_session&) = delete;

  // One request body. protocol_error for a body that does not decode, a SaslHandshake v0
  // (raw tokens are not spoken) or an API other than the two; out_of_order for a
  // SaslAuthenticate before the handshake or after the end. The caller then closes.
  [[nodiscard]] auth_result<sasl_server_reply> on_request(std::int16_t api_key,
                                                          std::int16_t api_version,
                                                          protocol::bytes_view body);

 private:
  enum class step { handshake, authenticate, scram_final, done };
  auth_result<sasl_server_reply> handshake(std::int16_t version, protocol::bytes_view body);
  auth_result<sasl_server_reply> authenticate(std::int16_t version, protocol::bytes_view body);
  sasl_server_reply answer(std::int16_t version, std::string_view token,
                           std::optional<login_outcome> outcome);
  sasl_server_reply refuse(std::int16_t version, login_outcome outcome);

  sasl_server_config cfg_;
  credential_lookup lookup_;
  std::string server_nonce_;
  mechanism mech_ = mechanism::plain;
  std::unique_ptr<scram_server> scram_;
  step step_ = step::handshake;
};

}  // namespace kpp::auth
