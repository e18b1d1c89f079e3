#include "kpp/auth/sasl_login.h"

#include <openssl/crypto.h>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/plain.h"
#include "kpp/auth/scram_client.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"

namespace kpp::auth {
namespace {

constexpr std::int16_t handshake_version = 1;  // v1: SaslAuthenticate frames follow

auth_error order() {
  return fail(auth_errc::out_of_order, "SASL login step out of order");
}

auth_error undecodable(std::string_view what, const protocol::error& e) {
  return fail(auth_errc::protocol_error,
              "the broker's " + std::string(what) + " does not decode: " + e.describe());
}

}  // namespace

sasl_login::sasl_login(login_config cfg) : cfg_(std::move(cfg)) {}

sasl_login::~sasl_login() {
  OPENSSL_cleanse(cfg_.password.data(), cfg_.password.size());
}

auth_result<login_request> sasl_login::start() {
  if (step_ != step::initial) return order();
  if (cfg_.authenticate_version < 0 ||
      cfg_.authenticate_version > protocol::sasl_authenticate_max_version) {
    step_ = step::done;
    return fail(auth_errc::protocol_error, "SaslAuthenticate version must be 0..2");
  }
  login_request req{protocol::api_key::sasl_handshake, handshake_version, {}};
  if (!protocol::encode_sasl_handshake_request({name(cfg_.mech)}, handshake_version, req.body)) {
    step_ = step::done;
    return order();  // unreachable: a mechanism name always fits
  }
  step_ = step::handshake;
  return req;
}

auth_result<login_step> sasl_login::finish(auth_error err) {
  step_ = step::done;
  scram_.reset();
  return err;
}

auth_result<login_step> sasl_login::authenticate(std::string_view auth_bytes) {
  login_request req{protocol::api_key::sasl_authenticate, cfg_.authenticate_version, {}};
  if (!protocol::encode_sasl_authenticate_request({protocol::as_bytes(auth_bytes)},
                                                  cfg_.authenticate_version, req.body)) {
    return finish(fail(auth_errc::malformed_message, "SASL token too large"));
  }
  return login_step{std::move(req)};
}

auth_result<login_step> sasl_login::on_response(protocol::bytes_view body) {
  if (step_ == step::initial || step_ == step::done) return order();
  if (step_ == step::handshake) {
    auto resp = protocol::decode_sasl_handshake_response(body, handshake_version);
    if (!resp) return finish(undecodable("SaslHandshake response", resp.error()));
    if (resp->error_code != kafka_error::none) {
      std::string offered;
      for (const auto m : resp->mechanisms)
        offered += (offered.empty() ? "" : ", ") + std::string(m);
      auth_error err = fail(auth_errc::broker_rejected,
                            "the broker refused SASL mechanism " + std::string(name(cfg_.mech)) +
                                " (error " + std::to_string(resp->error_code) +
                                "); it offers: " + (offered.empty() ? "none" : offered));
      err.kafka_error = resp->error_code;
      return finish(std::move(err));
    }
    if (!is_scram(cfg_.mech)) {
      auto msg = plain_message(cfg_.username, cfg_.password);
      if (!msg) return finish(msg.error());
      step_ = step::plain;
      auto next = authenticate(*msg);
      OPENSSL_cleanse(msg->data(), msg->size());
      return next;
    }
    scram_ =
        std::make_unique<scram_client>(cfg_.mech, cfg_.username, cfg_.password, cfg_.client_nonce);
    auto first = scram_->first_message();
    if (!first) return finish(first.error());
    step_ = step::scram_first;
    return authenticate(*first);
  }

  auto resp = protocol::decode_sasl_authenticate_response(body, cfg_.authenticate_version);
  if (!resp) return finish(undecodable("SaslAuthenticate response", resp.error()));
  if (resp->error_code != kafka_error::none) {
    auth_error err =
        fail(auth_errc::broker_rejected, "the broker refused the " + std::string(name(cfg_.mech)) +
                                             " login of user " + cfg_.username + " (error " +
                                             std::to_string(resp->error_code) + "): \"" +
                                             std::string(resp->error_message.value_or("")) + "\"");
    err.kafka_error = resp->error_code;
    return finish(std::move(err));
  }
  const auto token = protocol::as_chars(resp->auth_bytes);
  switch (step_) {
    case step::scram_first: {
      auto final = scram_->final_message(token);
      if (!final) return finish(final.error());
      step_ = step::scram_final;
      return authenticate(*final);
    }
    case step::scram_final: {
      if (auto ok = scram_->verify_server_final(token); !ok) return finish(ok.error());
      step_ = step::done;
      scram_.reset();
      return login_step{login_success{resp->session_lifetime_ms}};
    }
    case step::plain:
      step_ = step::done;
      return login_step{login_success{resp->session_lifetime_ms}};
    default:
      return order();
  }
}

}  // namespace kpp::auth
