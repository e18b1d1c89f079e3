// Client side of a Kafka SASL login, pure: it produces the request bodies to send
// (SaslHandshake v1, then SaslAuthenticate) and consumes the response bodies, ending in
// success (with the broker's session lifetime, for KIP-368 re-authentication) or a typed
// failure quoting the broker's error message. The caller frames and sends the bodies; a
// re-authentication is a new sasl_login on the same connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/mechanism.h"
#include "kpp/protocol/bytes.h"

namespace kpp::auth {

class scram_client;

struct login_config {
  mechanism mech = mechanism::scram_sha_512;
  std::string username;
  std::string password;
  // 0-2; the highest the broker's ApiVersions offers (Kafka 1.0+ has 0, 2.2+ has 2).
  std::int16_t authenticate_version = 2;
  std::string client_nonce;  // SCRAM only; empty = random. Tests pass a fixed one.
};

struct login_request {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  protocol::byte_buffer body;
};

struct login_success {
  std::int64_t session_lifetime_ms = 0;  // 0: the broker set no lifetime
};

using login_step = std::variant<login_request, login_success>;

class sasl_login {
 public:
  explicit sasl_login(login_config cfg);
  ~sasl_login();
  sasl_login(const sasl_login&) = delete;
  sasl_login& operator=(const sasl_login&) = delete;

  // The SaslHandshake v1 request. Call once, first.
  [[nodiscard]] auth_result<login_request> start();
  // The response body to the last request; the next request, success, or a failure:
  // broker_rejected (kafka_error and the broker's message in the detail), protocol_error,
  // server_signature_mismatch, or a SCRAM message error. After success or failure the login
  // is over and further calls fail with out_of_order.
  [[nodiscard]] auth_result<login_step> on_response(protocol::bytes_view body);

 private:
  enum class step { initial, handshake, scram_first, scram_final, plain, done };
  auth_result<login_step> authenticate(std::string_view auth_bytes);
  auth_result<login_step> finish(auth_error err);

  login_config cfg_;
  std::unique_ptr<scram_client> scram_;
  step step_ = step::initial;
};

}  // namespace kpp::auth
