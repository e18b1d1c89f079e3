// Certificates made at run time for the TLS tests (nothing that expires is checked in):
// EC P-256 keys, a CA, leaf certificates with SANs, CRLs, written as PEM into a temp dir.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kpp::test {

using key_ptr = std::shared_ptr<EVP_PKEY>;
using cert_ptr = std::shared_ptr<X509>;

struct cert_spec {
  std::string common_name = "localhost";
  std::vector<std::string> dns;  // SAN DNS names
  std::vector<std::string> ips;  // SAN IPs
  std::string organization;
  long not_before_s = -3600;  // relative to now
  long not_after_s = 86400;
  bool is_ca = false;
  long serial = 1;
};

struct issued {
  key_ptr key;
  cert_ptr cert;
};

issued make_ca(const std::string& cn);
// Signed by `ca`; self-signed when ca is null.
issued make_cert(const cert_spec& spec, const issued* ca);

// A temp directory removed with the object.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Write a certificate chain (leaf first), a key (encrypted with `password` when not empty),
  // a CRL revoking `serials`, or raw text; each returns the file's path.
  std::string write_certs(const std::string& name, const std::vector<cert_ptr>& chain) const;
  std::string write_key(const std::string& name, const key_ptr& key,
                        const std::string& password = "") const;
  std::string write_crl(const std::string& name, const issued& ca,
                        const std::vector<long>& serials) const;
  std::string write_text(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace kpp::test
