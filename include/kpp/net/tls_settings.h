// What the TLS layer needs to build an OpenSSL context, for a listener (server side) and for
// the upstream dial (client side). Plain values: app maps the validated config onto these,
// so net does not depend on config. File paths, not file contents: the context store re-reads
// them when they change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kpp::net {

enum class tls_version : std::uint8_t { v1_2, v1_3 };
enum class tls_client_auth : std::uint8_t { none, request, require };

// A secret read at load time: from `file` when set (re-read on every reload, trailing newline
// dropped), else `value`. Never logged.
struct tls_secret {
  std::string value;
  std::string file;
  friend bool operator==(const tls_secret&, const tls_secret&) = default;
};

// A required client subject: every attribute given must equal the certificate's (an attribute
// with several values, e.g. two OU entries, matches when the sets are equal). Empty: any.
struct tls_subject {
  std::string common_name;
  std::vector<std::string> country;
  std::vector<std::string> province;
  std::vector<std::string> locality;
  std::vector<std::string> organization;
  std::vector<std::string> organizational_unit;
  friend bool operator==(const tls_subject&, const tls_subject&) = default;
};

struct tls_server_settings {
  std::string cert_file;  // PEM chain: leaf first
  std::string key_file;   // PEM, optionally encrypted
  tls_secret key_password;
  tls_version min_version = tls_version::v1_2;
  std::vector<std::string> cipher_suites;  // OpenSSL or Go names; empty: OpenSSL defaults
  std::vector<std::string> curves;         // OpenSSL or Go names; empty: OpenSSL defaults
  std::string client_ca_file;              // PEM bundle; needed for client_auth != none
  tls_client_auth client_auth = tls_client_auth::none;
  std::vector<tls_subject> allowed_client_subjects;  // any one matching admits; empty: any
  std::string crl_file;                              // PEM CRL(s) checked against client certs
  friend bool operator==(const tls_server_settings&, const tls_server_settings&) = default;
};

struct tls_client_settings {
  std::string ca_file;       // PEM bundle; empty with system_pool: the system's trust store
  bool system_pool = false;  // also trust the system's CA store
  std::string cert_file;     // client certificate for mTLS (optional)
  std::string key_file;
  tls_secret key_password;
  tls_version min_version = tls_version::v1_2;
  bool insecure_skip_verify = false;
  std::string server_name;  // SNI and verification name; empty: the broker's own host
  friend bool operator==(const tls_client_settings&, const tls_client_settings&) = default;
};

}  // namespace kpp::net
