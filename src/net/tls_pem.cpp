#include "tls_pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace kpp::net {

const std::string* tls_file_snapshot::find(const std::string& path) const {
  for (const auto& [p, content] : files)
    if (p == path) return &content;
  return nullptr;
}

tls_loaded<tls_file_snapshot> read_tls_files(const std::vector<std::string>& paths) {
  tls_loaded<tls_file_snapshot> out;
  for (const auto& path : paths) {
    if (path.empty() || out.value.find(path)) continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    if (in) buf << in.rdbuf();
    if (!in || in.bad()) {
      out.failure = tls_load_failure{
          tls_load_error::file_unreadable,
          path + ": cannot be read (" + std::strerror(errno) + "); expected a readable PEM file"};
      return out;
    }
    out.value.files.emplace_back(path, buf.str());
  }
  return out;
}

namespace detail {

tls_load_failure failure(tls_load_error cause, std::string message) {
  return tls_load_failure{cause, std::move(message)};
}

std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

tls_loaded<std::string> secret_value(const tls_secret& s, const tls_file_snapshot& files,
                                     const std::string& key) {
  tls_loaded<std::string> out;
  if (s.file.empty()) {
    out.value = s.value;
    return out;
  }
  const auto* content = files.find(s.file);
  if (!content) {
    out.failure = failure(tls_load_error::bad_password_file,
                          key + " password file " + s.file + ": cannot be read");
    return out;
  }
  out.value = *content;
  while (!out.value.empty() && (out.value.back() == '\n' || out.value.back() == '\r'))
    out.value.pop_back();
  return out;
}

void apply_common(SSL_CTX* ctx, tls_version min_version) {
  SSL_CTX_set_min_proto_version(ctx,
                                min_version == tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // tls_stream reads ahead: with room for 4 records, one recv(2) takes up to 64 KiB instead of
  // one record (half the receive syscalls, ~15 % less proxy CPU per GB in kgo-bench runs).
  // The buffer exists only while bytes are in flight: an idle connection gives it back.
  SSL_CTX_set_default_read_buffer_len(ctx,
                                      4 * (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_ENCRYPTED_LENGTH));
}

namespace {

using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

bio_ptr mem_bio(const std::string& s) {
  return bio_ptr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())), &BIO_free);
}

// Supplies the password to PEM_read_bio_PrivateKey; with none configured it fails instead of
// OpenSSL's default of prompting on the terminal.
int password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pw = static_cast<const std::string*>(u);
  if (!pw || pw->empty()) return 0;
  const int n = static_cast<int>(std::min<std::size_t>(pw->size(), static_cast<std::size_t>(size)));
  std::memcpy(buf, pw->data(), static_cast<std::size_t>(n));
  return n;
}

}  // namespace

std::optional<tls_load_failure> use_cert_and_key(SSL_CTX* ctx, const std::string& cert_file,
                                                 const std::string& key_file,
                                                 const tls_secret& password,
                                                 const tls_file_snapshot& files,
                                                 const std::string& what) {
  const auto* cert = files.find(cert_file);
  const auto* key = files.find(key_file);
  if (!cert || !key)
    return failure(tls_load_error::file_unreadable,
                   what + ": certificate and key files must both be readable");
  ERR_clear_error();
  auto bio = mem_bio(*cert);
  X509* leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
  if (!leaf)
    return failure(tls_load_error::bad_certificate,
                   what + " " + cert_file + ": no PEM certificate found (" + openssl_error() +
                       "); expected -----BEGIN CERTIFICATE-----");
  const int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1)
    return failure(tls_load_error::bad_certificate,
                   what + " " + cert_file + ": " + openssl_error());
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      return failure(tls_load_error::bad_certificate,
                     what + " " + cert_file + ": chain: " + openssl_error());
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"

  auto pw = secret_value(password, files, what);
  if (!pw) return pw.failure;
  auto kbio = mem_bio(*key);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(kbio.get(), nullptr, &password_cb, &pw.value);
  std::fill(pw.value.begin(), pw.value.end(), '\0');
  if (!pkey) {
    const auto detail = openssl_error();
    const bool encrypted = key->find("ENCRYPTED") != std::string::npos;
    return failure(tls_load_error::bad_key,
                   what + " " + key_file + ": cannot read the private key (" + detail + ")" +
                       (encrypted ? "; the key is encrypted: check the key password" : ""));
  }
  const int kok = SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  if (kok != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return failure(tls_load_error::key_mismatch, what + ": key " + key_file +
                                                     " does not belong to certificate " +
                                                     cert_file + " (" + openssl_error() + ")");
  return std::nullopt;
}

std::optional<tls_load_failure> add_ca_bundle(SSL_CTX* ctx, const std::string& path,
                                              const tls_file_snapshot& files,
                                              const std::string& what, bool also_client_ca_list) {
  const auto* content = files.find(path);
  if (!content)
    return failure(tls_load_error::file_unreadable, what + " " + path + ": cannot be read");
  ERR_clear_error();
  auto bio = mem_bio(*content);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int n = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, ca);  // a duplicate is not an error
    if (also_client_ca_list) SSL_CTX_add_client_CA(ctx, ca);
    X509_free(ca);
    ++n;
  }
  ERR_clear_error();
  if (n == 0)
    return failure(tls_load_error::bad_ca, what + " " + path +
                                               ": no PEM certificate found; expected one or more "
                                               "-----BEGIN CERTIFICATE----- blocks");
  return std::nullopt;
}

}  // namespace detail
}  // namespace kpp::net
