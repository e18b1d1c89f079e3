#include "kpp/auth/scram_client.h"

#include <openssl/crypto.h>

#include "kpp/auth/base64.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/auth/scram_messages.h"

namespace kpp::auth {
namespace {

auth_error order() {
  return fail(auth_errc::out_of_order, "SCRAM client step called out of order");
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (std::size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] ^= b[i];
  return out;
}

}  // namespace

scram_client::scram_client(mechanism m, std::string username, std::string password,
                           std::string nonce)
    : mech_(m),
      username_(std::move(username)),
      password_(std::move(password)),
      nonce_(std::move(nonce)) {}

scram_client::~scram_client() {
  OPENSSL_cleanse(password_.data(), password_.size());
}

auth_result<std::string> scram_client::first_message() {
  if (step_ != step::initial) return order();
  if (!is_scram(mech_)) {
    return fail(auth_errc::unsupported_mechanism, "PLAIN is not a SCRAM mechanism");
  }
  if (auto ok = check_ascii(username_, "the user name"); !ok) return ok.error();
  if (auto ok = check_ascii(password_, "the password"); !ok) return ok.error();
  if (nonce_.empty()) {
    auto raw = random_bytes(24);
    if (!raw) return raw.error();
    nonce_ = base64_encode(*raw);
  }
  if (!valid_nonce(nonce_)) return fail(auth_errc::malformed_message, "bad client nonce");
  client_first_bare_ = "n=" + escape_saslname(username_) + ",r=" + nonce_;
  step_ = step::sent_first;
  return "n,," + client_first_bare_;
}

auth_result<std::string> scram_client::final_message(std::string_view server_first_msg) {
  if (step_ != step::sent_first) return order();
  step_ = step::done;  // any failure ends the exchange
  auto sf = parse_server_first(server_first_msg);
  if (!sf) return sf.error();
  if (sf->nonce.size() <= nonce_.size() || sf->nonce.compare(0, nonce_.size(), nonce_) != 0) {
    return fail(auth_errc::nonce_mismatch, "the server's nonce does not extend the client's");
  }
  auto salted = salted_password(mech_, password_, sf->salt, sf->iterations);
  if (!salted) return salted.error();
  auto client_key = hmac(mech_, *salted, "Client Key");
  auto server_key = hmac(mech_, *salted, "Server Key");
  OPENSSL_cleanse(salted->data(), salted->size());
  if (!client_key) return client_key.error();
  if (!server_key) return server_key.error();
  auto stored_key = digest(mech_, *client_key);
  if (!stored_key) return stored_key.error();
  // c= is base64 of the GS2 header "n,,".
  const std::string without_proof = "c=biws,r=" + sf->nonce;
  const std::string auth_message =
      client_first_bare_ + "," + std::string(server_first_msg) + "," + without_proof;
  auto client_sig = hmac(mech_, *stored_key, auth_message);
  auto server_sig = hmac(mech_, *server_key, auth_message);
  if (!client_sig) return client_sig.error();
  if (!server_sig) return server_sig.error();
  const std::string proof = xor_bytes(*client_key, *client_sig);
  OPENSSL_cleanse(client_key->data(), client_key->size());
  expected_server_signature_ = std::move(*server_sig);
  step_ = step::sent_final;
  return without_proof + ",p=" + base64_encode(proof);
}

auth_status scram_client::verify_server_final(std::string_view server_final_msg) {
  if (step_ != step::sent_final) return order();
  step_ = step::done;
  auto sig = parse_server_final(server_final_msg);
  if (!sig) return sig.error();
  if (!constant_time_equal(*sig, expected_server_signature_)) {
    return fail(auth_errc::server_signature_mismatch,
                "the server's SCRAM signature is wrong: it does not know this password");
  }
  return done_t{};
}

}  // namespace kpp::auth
