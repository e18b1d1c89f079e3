#include "kpp/auth/sasl_server_session.h"

#include <algorithm>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/plain.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"

namespace kpp::auth {
namespace {

auth_error order() {
  return fail(auth_errc::out_of_order, "SaslAuthenticate outside a SASL exchange");
}

login_outcome outcome_of(auth_errc code) {
  switch (code) {
    case auth_errc::unknown_user:
      return login_outcome::unknown_user;
    case auth_errc::bad_password:
      return login_outcome::bad_password;
    default:
      return login_outcome::malformed;
  }
}

}  // namespace

sasl_server_session::sasl_server_session(sasl_server_config cfg, credential_lookup lookup,
                                         std::string server_nonce)
    : cfg_(std::move(cfg)), lookup_(std::move(lookup)), server_nonce_(std::move(server_nonce)) {}

sasl_server_session::~sasl_server_session() = default;

auth_result<sasl_server_reply> sasl_server_session::on_request(std::int16_t api_key,
                                                               std::int16_t api_version,
                                                               protocol::bytes_view body) {
  if (api_key == protocol::api_key::sasl_handshake) return handshake(api_version, body);
  if (api_key == protocol::api_key::sasl_authenticate) return authenticate(api_version, body);
  step_ = step::done;
  return fail(auth_errc::protocol_error,
              "request API " + std::to_string(api_key) + " before SASL authentication");
}

auth_result<sasl_server_reply> sasl_server_session::handshake(std::int16_t version,
                                                              protocol::bytes_view body) {
  if (step_ != step::handshake) {
    step_ = step::done;
    return fail(auth_errc::out_of_order, "a second SaslHandshake in one exchange");
  }
  step_ = step::done;
  if (version == 0) {
    return fail(auth_errc::protocol_error,
                "SaslHandshake v0 (raw SASL tokens) is not supported; the client must use v1");
  }
  auto req = protocol::decode_sasl_handshake_request(body, version);
  if (!req) {
    return fail(auth_errc::protocol_error,
                "SaslHandshake request does not decode: " + req.error().describe());
  }
  protocol::sasl_handshake_response resp;
  for (const auto m : cfg_.enabled) resp.mechanisms.push_back(name(m));
  const auto asked = parse_mechanism(req->mechanism);
  const bool enabled =
      asked && std::find(cfg_.enabled.begin(), cfg_.enabled.end(), *asked) != cfg_.enabled.end();
  sasl_server_reply reply;
  if (!enabled) {
    resp.error_code = kafka_error::unsupported_sasl_mechanism;
    reply.outcome = login_outcome::unsupported_mechanism;
  } else {
    mech_ = *asked;
    step_ = step::authenticate;
  }
  if (!protocol::encode_sasl_handshake_response(resp, version, reply.body)) {
    step_ = step::done;
    return fail(auth_errc::protocol_error, "SaslHandshake response does not encode");
  }
  return reply;
}

sasl_server_reply sasl_server_session::answer(std::int16_t version, std::string_view token,
                                              std::optional<login_outcome> outcome) {
  protocol::sasl_authenticate_response resp;
  resp.auth_bytes = protocol::as_bytes(token);
  if (outcome == login_outcome::success) resp.session_lifetime_ms = cfg_.session_lifetime_ms;
  sasl_server_reply reply;
  reply.outcome = outcome;
  // Server tokens are short (a SCRAM message), so the encoding cannot fail on size.
  (void)protocol::encode_sasl_authenticate_response(resp, version, reply.body);
  return reply;
}

sasl_server_reply sasl_server_session::refuse(std::int16_t version, login_outcome outcome) {
  step_ = step::done;
  scram_.reset();
  protocol::sasl_authenticate_response resp;
  resp.error_code = kafka_error::sasl_authentication_failed;
  // The same words for every failure, like Kafka's, so a name cannot be told from a password.
  const std::string message =
      "Authentication failed during authentication due to invalid "
      "credentials with SASL mechanism " +
      std::string(name(mech_));
  resp.error_message = message;
  sasl_server_reply reply;
  reply.outcome = outcome;
  (void)protocol::encode_sasl_authenticate_response(resp, version, reply.body);
  return reply;
}

auth_result<sasl_server_reply> sasl_server_session::authenticate(std::int16_t version,
                                                                 protocol::bytes_view body) {
  if (step_ != step::authenticate && step_ != step::scram_final) {
    step_ = step::done;
    return order();
  }
  auto req = protocol::decode_sasl_authenticate_request(body, version);
  if (!req) {
    step_ = step::done;
    return fail(auth_errc::protocol_error,
                "SaslAuthenticate request does not decode: " + req.error().describe());
  }
  const auto token = protocol::as_chars(req->auth_bytes);
  if (step_ == step::scram_final) {
    auto final = scram_->final_response(token);
    if (!final) return refuse(version, outcome_of(final.error().code));
    auto reply = answer(version, *final, login_outcome::success);
    reply.principal = scram_->username();
    step_ = step::done;
    scram_.reset();
    return reply;
  }
  if (is_scram(mech_)) {
    scram_ = std::make_unique<scram_server>(
        mech_, lookup_, scram_server_options{server_nonce_, cfg_.decoy_key, cfg_.decoy_iterations});
    auto first = scram_->first_response(token);
    if (!first) return refuse(version, outcome_of(first.error().code));
    step_ = step::scram_final;
    return answer(version, *first, std::nullopt);
  }
  auto plain = parse_plain(token);
  if (!plain) return refuse(version, login_outcome::malformed);
  const auto cred = lookup_ ? lookup_(plain->username, mechanism::plain) : std::nullopt;
  if (!cred) return refuse(version, login_outcome::unknown_user);
  auto match = verify_password(*cred, plain->password);
  if (!match || !*match) return refuse(version, login_outcome::bad_password);
  auto reply = answer(version, {}, login_outcome::success);
  reply.principal = plain->username;
  step_ = step::done;
  return reply;
}

}  // namespace kpp::auth
