#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "kpp/net/go_cipher_names.h"
#include "kpp/net/tls_context.h"
#include "tls_pem.h"

namespace kpp::net {
namespace {

using detail::failure;
using detail::openssl_error;

std::vector<std::string> subject_values(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool same_set(std::vector<std::string> want, const std::vector<std::string>& have) {
  if (want.empty()) return true;  // not required
  std::sort(want.begin(), want.end());
  return want == have;
}

bool subject_matches(const tls_subject& want, X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (!name) return false;
  if (!want.common_name.empty()) {
    auto cn = subject_values(name, NID_commonName);
    if (cn.size() != 1 || cn[0] != want.common_name) return false;
  }
  return same_set(want.country, subject_values(name, NID_countryName)) &&
         same_set(want.province, subject_values(name, NID_stateOrProvinceName)) &&
         same_set(want.locality, subject_values(name, NID_localityName)) &&
         same_set(want.organization, subject_values(name, NID_organizationName)) &&
         same_set(want.organizational_unit, subject_values(name, NID_organizationalUnitName));
}

std::optional<tls_load_failure> apply_ciphers(SSL_CTX* ctx, const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::string tls12, tls13;
  for (const auto& name : names) {
    if (is_tls13_suite(name)) {
      if (SSL_CTX_set_ciphersuites(ctx, name.c_str()) != 1)
        return failure(tls_load_error::unknown_cipher,
                       "cipher suite " + name + " is not supported by this OpenSSL");
      tls13 += (tls13.empty() ? "" : ":") + name;
      continue;
    }
    const auto go = openssl_cipher_for_go(name);
    const std::string ossl = go ? std::string(*go) : name;
    // Checked one by one: OpenSSL accepts a list as long as any one name is known.
    if (ossl.find_first_of(":!+@ ") != std::string::npos ||
        SSL_CTX_set_cipher_list(ctx, ossl.c_str()) != 1)
      return failure(tls_load_error::unknown_cipher,
                     "cipher suite " + name +
                         " is unknown or not available in this OpenSSL; expected an OpenSSL name "
                         "(ECDHE-RSA-AES128-GCM-SHA256) or a Go name "
                         "(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
    tls12 += (tls12.empty() ? "" : ":") + ossl;
  }
  ERR_clear_error();
  // Only TLS 1.3 names given: TLS 1.2 keeps OpenSSL's defaults, and the other way round.
  if (SSL_CTX_set_cipher_list(ctx, tls12.empty() ? "DEFAULT" : tls12.c_str()) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, tls13.empty()
                                        ? "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
                                          "TLS_AES_128_GCM_SHA256"
                                        : tls13.c_str()) != 1)
    return failure(tls_load_error::unknown_cipher, "cipher suites: " + openssl_error());
  return std::nullopt;
}

std::optional<tls_load_failure> apply_curves(SSL_CTX* ctx, const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::string list;
  for (const auto& name : names) {
    const std::string ossl(openssl_curve_name(name));
    if (ossl.find(':') != std::string::npos || SSL_CTX_set1_groups_list(ctx, ossl.c_str()) != 1) {
      ERR_clear_error();
      return failure(tls_load_error::unknown_curve,
                     "curve " + name +
                         " is unknown; expected P-256, P-384, P-521, X25519 (or Go's CurveP256, "
                         "P256, ...)");
    }
    list += (list.empty() ? "" : ":") + ossl;
  }
  if (SSL_CTX_set1_groups_list(ctx, list.c_str()) != 1)
    return failure(tls_load_error::unknown_curve, "curves: " + openssl_error());
  return std::nullopt;
}

std::optional<tls_load_failure> apply_crl(SSL_CTX* ctx, const std::string& path,
                                          const tls_file_snapshot& files) {
  const auto* content = files.find(path);
  if (!content) return failure(tls_load_error::file_unreadable, "CRL " + path + ": cannot be read");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(content->data(), static_cast<int>(content->size())), &BIO_free);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int n = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    ++n;
  }
  ERR_clear_error();
  if (n == 0)
    return failure(tls_load_error::bad_crl,
                   "CRL " + path + ": no PEM CRL found; expected -----BEGIN X509 CRL-----");
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> watched_files(const tls_server_settings& s) {
  std::vector<std::string> out;
  for (const auto* p :
       {&s.cert_file, &s.key_file, &s.key_password.file, &s.client_ca_file, &s.crl_file})
    if (!p->empty()) out.push_back(*p);
  return out;
}

tls_loaded<context_ptr> make_server_context(const tls_server_settings& s,
                                            const tls_file_snapshot& files) {
  tls_loaded<context_ptr> out;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  detail::apply_common(h, s.min_version);
  SSL_CTX_set_options(h, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Session resumption across a verify_peer context needs an id context.
  static constexpr unsigned char sid[] = "kafka-psc-proxy";
  SSL_CTX_set_session_id_context(h, sid, sizeof sid - 1);

  auto fail = [&](tls_load_failure f) {
    out.failure = std::move(f);
    return out;
  };
  if (auto f = detail::use_cert_and_key(h, s.cert_file, s.key_file, s.key_password, files,
                                        "listener certificate"))
    return fail(*f);
  if (auto f = apply_ciphers(h, s.cipher_suites)) return fail(*f);
  if (auto f = apply_curves(h, s.curves)) return fail(*f);

  if (s.client_auth != tls_client_auth::none) {
    if (!s.client_ca_file.empty())
      if (auto f = detail::add_ca_bundle(h, s.client_ca_file, files, "client CA", true))
        return fail(*f);
    if (!s.crl_file.empty())
      if (auto f = apply_crl(h, s.crl_file, files)) return fail(*f);
    int mode = ssl::verify_peer;
    if (s.client_auth == tls_client_auth::require) mode |= ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
    if (!s.allowed_client_subjects.empty()) {
      ctx->set_verify_callback(
          [subjects = s.allowed_client_subjects](bool preverified, ssl::verify_context& vc) {
            X509_STORE_CTX* sc = vc.native_handle();
            if (!preverified || X509_STORE_CTX_get_error_depth(sc) != 0) return preverified;
            X509* cert = X509_STORE_CTX_get_current_cert(sc);
            for (const auto& want : subjects)
              if (subject_matches(want, cert)) return true;
            X509_STORE_CTX_set_error(sc, X509_V_ERR_APPLICATION_VERIFICATION);
            return false;
          });
    }
  }
  out.value = std::move(ctx);
  return out;
}

std::string_view sni_of(const SSL* ssl) noexcept {
  const char* name = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
  return name ? std::string_view(name) : std::string_view();
}

}  // namespace kpp::net
