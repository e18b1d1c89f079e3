#include "kpp/auth/scram_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits>

namespace kpp::auth {
namespace {

const EVP_MD* md(mechanism m) {
  return m == mechanism::scram_sha_256 ? EVP_sha256() : EVP_sha512();
}

auth_error crypto(std::string_view what) {
  return fail(auth_errc::crypto_failure, std::string(what) + " failed in OpenSSL");
}

bool too_big(std::string_view s) {
  return s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max());
}

}  // namespace

std::size_t digest_size(mechanism m) noexcept {
  switch (m) {
    case mechanism::scram_sha_256:
      return 32;
    case mechanism::scram_sha_512:
      return 64;
    case mechanism::plain:
      return 0;
  }
  return 0;
}

auth_result<std::string> hmac(mechanism m, std::string_view key, std::string_view data) {
  if (!is_scram(m) || too_big(key)) return crypto("HMAC");
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(md(m), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    return crypto("HMAC");
  }
  out.resize(len);
  return out;
}

auth_result<std::string> digest(mechanism m, std::string_view data) {
  if (!is_scram(m)) return crypto("digest");
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 md(m), nullptr) != 1) {
    return crypto("digest");
  }
  out.resize(len);
  return out;
}

auth_result<std::string> salted_password(mechanism m, std::string_view password,
                                         std::string_view salt, std::uint32_t iterations) {
  if (!is_scram(m) || too_big(password) || too_big(salt)) return crypto("PBKDF2");
  if (iterations < scram_min_iterations || iterations > scram_max_iterations) {
    return fail(auth_errc::bad_iterations, "iteration count " + std::to_string(iterations) +
                                               " is outside " +
                                               std::to_string(scram_min_iterations) + ".." +
                                               std::to_string(scram_max_iterations));
  }
  std::string out(digest_size(m), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md(m),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return crypto("PBKDF2");
  }
  return out;
}

auth_result<scram_credential> make_scram_credential(mechanism m, std::string_view password,
                                                    std::string_view salt,
                                                    std::uint32_t iterations) {
  auto salted = salted_password(m, password, salt, iterations);
  if (!salted) return salted.error();
  auto client_key = hmac(m, *salted, "Client Key");
  if (!client_key) return client_key.error();
  auto stored = digest(m, *client_key);
  if (!stored) return stored.error();
  auto server = hmac(m, *salted, "Server Key");
  if (!server) return server.error();
  OPENSSL_cleanse(salted->data(), salted->size());
  OPENSSL_cleanse(client_key->data(), client_key->size());
  return scram_credential{m, std::string(salt), iterations, std::move(*stored), std::move(*server)};
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

auth_result<std::string> random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return crypto("RAND_bytes");
  }
  return out;
}

}  // namespace kpp::auth
