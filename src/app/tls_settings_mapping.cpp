#include "kpp/app/tls_settings_mapping.h"

#include <cstdlib>

namespace kpp::app {
namespace {

net::tls_secret secret_from(const config::key_password_source& p) {
  net::tls_secret s;
  s.file = p.file;
  if (!p.env.empty()) {
    const char* v = std::getenv(p.env.c_str());  // presence checked at validation
    s.value = v ? v : "";
  } else {
    s.value = p.value;
  }
  return s;
}

net::tls_version version_from(config::tls_min_version v) {
  return v == config::tls_min_version::v1_3 ? net::tls_version::v1_3 : net::tls_version::v1_2;
}

net::tls_client_auth auth_from(config::tls_client_auth a) {
  switch (a) {
    case config::tls_client_auth::request:
      return net::tls_client_auth::request;
    case config::tls_client_auth::require:
      return net::tls_client_auth::require;
    default:
      return net::tls_client_auth::none;
  }
}

}  // namespace

net::tls_server_settings tls_server_settings_from(const config::listener_tls_config& t) {
  net::tls_server_settings s;
  s.cert_file = t.cert_file;
  s.key_file = t.key_file;
  s.key_password = secret_from(t.key_password);
  s.min_version = version_from(t.min_version);
  s.cipher_suites = t.cipher_suites;
  s.curves = t.curves;
  s.client_ca_file = t.client_ca_file;
  s.client_auth = auth_from(t.client_auth);
  for (const auto& c : t.allowed_client_subjects)
    s.allowed_client_subjects.push_back(
        {c.common_name, c.country, c.province, c.locality, c.organization, c.organizational_unit});
  s.crl_file = t.crl_file;
  return s;
}

net::tls_client_settings tls_client_settings_from(const config::upstream_tls_config& t) {
  net::tls_client_settings s;
  s.ca_file = t.ca_file;
  s.system_pool = t.system_pool;
  s.cert_file = t.cert_file;
  s.key_file = t.key_file;
  s.key_password = secret_from(t.key_password);
  s.min_version = version_from(t.min_version);
  s.insecure_skip_verify = t.insecure_skip_verify;
  s.server_name = t.server_name;
  return s;
}

std::vector<std::string> tls_startup_warnings(const config::listener_tls_config& l,
                                              const config::upstream_tls_config& u) {
  std::vector<std::string> out;
  if (u.enabled && u.insecure_skip_verify)
    out.emplace_back(
        "upstream.tls.insecure_skip_verify is set: broker certificates are not verified, so "
        "anyone on the path can impersonate the brokers; set upstream.tls.ca_file instead");
  if (l.enabled && !l.key_password.value.empty())
    out.emplace_back(
        "the listener key password was given on the command line, where every local user "
        "can read it (ps); use key_password_file");
  if (u.enabled && !u.key_password.value.empty())
    out.emplace_back(
        "the upstream client key password was given on the command line, where every local "
        "user can read it (ps); use key_password_file");
  return out;
}

}  // namespace kpp::app
