#include "kpp/auth/plain.h"

#include <openssl/crypto.h>

#include "kpp/auth/scram_messages.h"

namespace kpp::auth {

auth_result<std::string> plain_message(std::string_view username, std::string_view password) {
  if (auto ok = check_ascii(username, "the user name"); !ok) return ok.error();
  if (auto ok = check_ascii(password, "the password"); !ok) return ok.error();
  std::string msg;
  msg += '\0';
  msg += username;
  msg += '\0';
  msg += password;
  return msg;
}

auth_result<plain_credentials> parse_plain(std::string_view msg) {
  const auto first = msg.find('\0');
  const auto second = first == std::string_view::npos ? first : msg.find('\0', first + 1);
  if (second == std::string_view::npos || msg.find('\0', second + 1) != std::string_view::npos) {
    return fail(auth_errc::malformed_message, "PLAIN message is not authzid NUL user NUL pass");
  }
  plain_credentials out{std::string(msg.substr(0, first)),
                        std::string(msg.substr(first + 1, second - first - 1)),
                        std::string(msg.substr(second + 1))};
  if (out.username.empty() || out.password.empty()) {
    return fail(auth_errc::malformed_message, "PLAIN message has an empty user or password");
  }
  if (!out.authzid.empty() && out.authzid != out.username) {
    return fail(auth_errc::malformed_message,
                "the authorization id differs from the user name, which is not supported");
  }
  if (auto ok = check_ascii(out.username, "the user name"); !ok) return ok.error();
  if (auto ok = check_ascii(out.password, "the password"); !ok) return ok.error();
  return out;
}

auth_result<bool> verify_password(const scram_credential& cred, std::string_view password) {
  auto salted = salted_password(cred.mech, password, cred.salt, cred.iterations);
  if (!salted) return salted.error();
  auto client_key = hmac(cred.mech, *salted, "Client Key");
  OPENSSL_cleanse(salted->data(), salted->size());
  if (!client_key) return client_key.error();
  auto stored = digest(cred.mech, *client_key);
  OPENSSL_cleanse(client_key->data(), client_key->size());
  if (!stored) return stored.error();
  return constant_time_equal(*stored, cred.stored_key);
}

}  // namespace kpp::auth
