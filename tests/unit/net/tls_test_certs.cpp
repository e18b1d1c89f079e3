#include "tls_test_certs.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace kpp::test {
namespace {

key_ptr new_key() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (!k) throw std::runtime_error("EVP_EC_gen failed");
  return key_ptr(k, &EVP_PKEY_free);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

FILE* open_or_throw(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  return f;
}

}  // namespace

issued make_ca(const std::string& cn) {
  cert_spec s;
  s.common_name = cn;
  s.is_ca = true;
  s.not_after_s = 10 * 86400;
  return make_cert(s, nullptr);
}

issued make_cert(const cert_spec& spec, const issued* ca) {
  issued out{new_key(), cert_ptr(X509_new(), &X509_free)};
  X509* c = out.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(c), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(c), spec.not_after_s);
  X509_set_pubkey(c, out.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  if (!spec.organization.empty())
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.organization.c_str()),
                               -1, -1, 0);
  X509* issuer = ca ? ca->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer));
  if (spec.is_ca) {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  std::string san;
  for (const auto& d : spec.dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : spec.ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!san.empty()) add_ext(c, issuer, NID_subject_alt_name, san);
  EVP_PKEY* signer = ca ? ca->key.get() : out.key.get();
  if (X509_sign(c, signer, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  return out;
}

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kpp-tls-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string temp_dir::write_certs(const std::string& name,
                                  const std::vector<cert_ptr>& chain) const {
  const auto p = path(name + ".tmp");
  FILE* f = open_or_throw(p);
  for (const auto& c : chain) PEM_write_X509(f, c.get());
  std::fclose(f);
  std::filesystem::rename(p, path(name));  // atomic, as a rotation tool would do
  return path(name);
}

std::string temp_dir::write_key(const std::string& name, const key_ptr& key,
                                const std::string& password) const {
  const auto p = path(name + ".tmp");
  FILE* f = open_or_throw(p);
  if (password.empty())
    PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_PKCS8PrivateKey(f, key.get(), EVP_aes_256_cbc(), password.data(),
                              static_cast<int>(password.size()), nullptr, nullptr);
  std::fclose(f);
  std::filesystem::rename(p, path(name));
  return path(name);
}

std::string temp_dir::write_crl(const std::string& name, const issued& ca,
                                const std::vector<long>& serials) const {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.cert.get()));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, -60);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 86400);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (long s : serials) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set(serial, s);
    X509_REVOKED_set_serialNumber(r, serial);
    X509_REVOKED_set_revocationDate(r, now);
    X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(serial);
  }
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, ca.key.get(), EVP_sha256());
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  FILE* f = open_or_throw(path(name));
  PEM_write_X509_CRL(f, crl);
  std::fclose(f);
  X509_CRL_free(crl);
  return path(name);
}

std::string temp_dir::write_text(const std::string& name, const std::string& text) const {
  const auto p = path(name + ".tmp");
  std::ofstream(p, std::ios::binary) << text;
  std::filesystem::rename(p, path(name));
  return path(name);
}

}  // namespace kpp::test
