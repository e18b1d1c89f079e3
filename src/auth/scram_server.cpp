#include "kpp/auth/scram_server.h"

#include <openssl/crypto.h>

#include "kpp/auth/base64.h"
#include "kpp/auth/scram_messages.h"

namespace kpp::auth {
namespace {

auth_error order() {
  return fail(auth_errc::out_of_order, "SCRAM server step called out of order");
}

}  // namespace

scram_server::scram_server(mechanism m, credential_lookup lookup, scram_server_options opts)
    : mech_(m), lookup_(std::move(lookup)), opts_(std::move(opts)) {}

auth_result<std::string> scram_server::first_response(std::string_view client_first_msg) {
  if (step_ != step::initial) return order();
  step_ = step::done;  // any failure ends the exchange
  if (!is_scram(mech_)) {
    return fail(auth_errc::unsupported_mechanism, "PLAIN is not a SCRAM mechanism");
  }
  auto cf = parse_client_first(client_first_msg);
  if (!cf) return cf.error();
  if (auto ok = check_ascii(cf->username, "the user name"); !ok) return ok.error();
  if (cf->authzid && *cf->authzid != cf->username) {
    return fail(auth_errc::malformed_message,
                "the authorization id differs from the user name, which is not supported");
  }
  username_ = cf->username;
  auto cred = lookup_ ? lookup_(username_, mech_) : std::nullopt;
  if (!cred || cred->mech != mech_) {
    if (opts_.decoy_key.empty()) {
      return fail(auth_errc::unknown_user, "no " + std::string(name(mech_)) + " credentials");
    }
    auto salt = hmac(mech_, opts_.decoy_key, "decoy salt\n" + username_);
    if (!salt) return salt.error();
    salt->resize(16);
    decoy_ = true;
    cred = scram_credential{mech_, std::move(*salt), opts_.decoy_iterations, {}, {}};
  }
  cred_ = std::move(*cred);
  std::string& server_nonce = opts_.server_nonce;
  if (server_nonce.empty()) {
    auto raw = random_bytes(24);
    if (!raw) return raw.error();
    server_nonce = base64_encode(*raw);
  }
  if (!valid_nonce(server_nonce)) return fail(auth_errc::malformed_message, "bad server nonce");
  gs2_header_ = std::move(cf->gs2_header);
  nonce_ = cf->nonce + server_nonce;
  client_first_bare_ = std::move(cf->bare);
  server_first_ =
      "r=" + nonce_ + ",s=" + base64_encode(cred_.salt) + ",i=" + std::to_string(cred_.iterations);
  step_ = step::sent_first;
  return server_first_;
}

auth_result<std::string> scram_server::final_response(std::string_view client_final_msg) {
  if (step_ != step::sent_first) return order();
  step_ = step::done;
  auto cf = parse_client_final(client_final_msg);
  if (!cf) return cf.error();
  if (cf->channel_binding != gs2_header_) {
    return fail(auth_errc::malformed_message, "client-final's c= does not match its GS2 header");
  }
  if (cf->nonce != nonce_) {
    return fail(auth_errc::nonce_mismatch, "client-final's nonce is not the exchange's");
  }
  if (decoy_)
    return fail(auth_errc::unknown_user, "no " + std::string(name(mech_)) + " credentials");
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + cf->without_proof;
  auto client_sig = hmac(mech_, cred_.stored_key, auth_message);
  if (!client_sig) return client_sig.error();
  if (cf->proof.size() != client_sig->size()) {
    return fail(auth_errc::bad_password, "wrong password");
  }
  std::string client_key = cf->proof;
  for (std::size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= (*client_sig)[i];
  auto stored = digest(mech_, client_key);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (!stored) return stored.error();
  if (!constant_time_equal(*stored, cred_.stored_key)) {
    return fail(auth_errc::bad_password, "wrong password");
  }
  auto server_sig = hmac(mech_, cred_.server_key, auth_message);
  if (!server_sig) return server_sig.error();
  return "v=" + base64_encode(*server_sig);
}

}  // namespace kpp::auth
