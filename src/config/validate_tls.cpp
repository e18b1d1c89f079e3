#include "validate_tls.h"

#include <unistd.h>

#include <cstdlib>

namespace kpp::config {
namespace {

// Per-listener overrides are parsed and checked, but listeners do not run them yet: refusing
// keeps such a configuration from silently running with the top-level block.
constexpr bool listener_overrides_wired = false;

class tls_checker {
 public:
  explicit tls_checker(std::vector<problem>& out) : out_(out) {}

  void add(const std::string& key, const std::string& text) {
    out_.push_back({key, key + ": " + text});
  }

  void readable(const std::string& key, const std::string& path, const std::string& what) {
    if (path.empty()) return;
    if (::access(path.c_str(), R_OK) != 0)
      add(key, "\"" + path + "\" cannot be read; expected a readable " + what);
  }

  void required(const std::string& key, const std::string& value, const std::string& example) {
    if (value.empty()) add(key, "is missing; expected " + example);
  }

  void password(const std::string& key, const key_password_source& p) {
    const int sources = !p.file.empty() + !p.env.empty() + !p.value.empty();
    if (sources > 1)
      add(key + ".key_password_file",
          "give the key password one way: key_password_file or key_password_env (or the "
          "command-line flag), not several");
    readable(key + ".key_password_file", p.file, "file holding the key's password");
    if (!p.env.empty() && std::getenv(p.env.c_str()) == nullptr)
      add(key + ".key_password_env",
          "environment variable " + p.env + " is not set; set it or use key_password_file");
  }

  void names(const std::string& key, const std::vector<std::string>& v, const char* example) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i].empty() || v[i].find_first_of(": !+@") != std::string::npos)
        add(key + "[" + std::to_string(i) + "]",
            "\"" + v[i] + "\" is not one name; expected a list of names, e.g. " + example);
  }

  void listener(const std::string& key, const listener_tls_config& t) {
    if (!t.enabled) return;
    required(key + ".cert_file", t.cert_file,
             "a PEM certificate chain, e.g. /etc/kafka-psc-proxy/tls/server.pem");
    required(key + ".key_file", t.key_file,
             "a PEM private key, e.g. /etc/kafka-psc-proxy/tls/server.key");
    readable(key + ".cert_file", t.cert_file, "PEM certificate chain");
    readable(key + ".key_file", t.key_file, "PEM private key");
    password(key, t.key_password);
    names(key + ".cipher_suites", t.cipher_suites,
          "[ECDHE-RSA-AES128-GCM-SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]");
    names(key + ".curves", t.curves, "[X25519, P-256]");
    readable(key + ".client_ca_file", t.client_ca_file, "PEM CA bundle");
    readable(key + ".crl_file", t.crl_file, "PEM CRL file");
    if (t.client_auth != tls_client_auth::none && t.client_ca_file.empty())
      add(key + ".client_ca_file", "is missing; client_auth " +
                                       std::string(to_string(t.client_auth)) +
                                       " needs the CA that signs client certificates");
    if (t.client_auth == tls_client_auth::none && !t.client_ca_file.empty())
      add(key + ".client_auth",
          "is none but client_ca_file is set; expected request or require to check client "
          "certificates");
    if (!t.allowed_client_subjects.empty() && t.client_auth != tls_client_auth::require)
      add(key + ".allowed_client_subjects",
          "needs client_auth: require (a client without a certificate has no subject)");
    if (!t.crl_file.empty() && t.client_auth == tls_client_auth::none)
      add(key + ".crl_file", "is set but client certificates are not checked; set client_auth");
    for (std::size_t i = 0; i < t.allowed_client_subjects.size(); ++i) {
      const auto& s = t.allowed_client_subjects[i];
      if (s == client_subject{})
        add(key + ".allowed_client_subjects[" + std::to_string(i) + "]",
            "is empty; expected at least one of common_name, organization, ...");
    }
  }

  void upstream(const upstream_tls_config& t) {
    if (!t.enabled) return;
    const std::string key = "upstream.tls";
    readable(key + ".ca_file", t.ca_file, "PEM CA bundle");
    if (t.cert_file.empty() != t.key_file.empty())
      add(t.cert_file.empty() ? key + ".cert_file" : key + ".key_file",
          "is missing; a client certificate needs both cert_file and key_file");
    readable(key + ".cert_file", t.cert_file, "PEM certificate");
    readable(key + ".key_file", t.key_file, "PEM private key");
    password(key, t.key_password);
    if (!t.server_name.empty() && t.server_name.find_first_of(" /:") != std::string::npos)
      add(key + ".server_name", "\"" + t.server_name + "\" is not a host name");
  }

 private:
  std::vector<problem>& out_;
};

}  // namespace

void check_tls(const config& c, std::vector<problem>& out) {
  tls_checker ck(out);
  ck.listener("tls", c.tls);
  for (std::size_t i = 0; i < c.bootstrap.listeners.size(); ++i)
    if (const auto& t = c.bootstrap.listeners[i].tls)
      ck.listener("bootstrap.listeners[" + std::to_string(i) + "].tls", *t);
  ck.upstream(c.upstream.tls);
  if (!out.empty()) return;
  for (std::size_t i = 0; i < c.bootstrap.listeners.size(); ++i)
    if (c.bootstrap.listeners[i].tls && !listener_overrides_wired)
      ck.add("bootstrap.listeners[" + std::to_string(i) + "].tls",
             "not supported yet: a per-listener tls block; the top-level tls applies to every "
             "listener");
}

}  // namespace kpp::config
