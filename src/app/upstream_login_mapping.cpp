#include "kpp/app/upstream_login_mapping.h"

#include <cstdlib>

#include "kpp/auth/upstream_secret.h"

namespace kpp::app {

common::result<login_settings_ptr, std::string> upstream_login_from(
    const config::upstream_sasl_config& c, const std::string& key) {
  if (!c.enabled) return login_settings_ptr{};
  const auto mech = auth::parse_mechanism(c.mechanism);
  if (!mech)
    return std::string(key + ".mechanism: \"" + c.mechanism +
                       "\" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  auto settings = std::make_shared<net::upstream_login_settings>();
  settings->mech = *mech;
  settings->username = c.username;
  if (!c.password.empty()) {
    settings->password = c.password;
  } else if (!c.password_file.empty()) {
    auto secret = auth::load_secret_file(c.password_file);
    if (!secret) return key + ".password_file: " + secret.error().detail;
    settings->password = std::move(*secret);
  } else {
    auto secret = auth::secret_from_env(c.password_env, std::getenv(c.password_env.c_str()));
    if (!secret) return key + ".password_env: " + secret.error().detail;
    settings->password = std::move(*secret);
  }
  return login_settings_ptr(std::move(settings));
}

common::result<net::client_auth_settings, std::string> client_auth_from(
    const config::listener_sasl_config& c) {
  net::client_auth_settings s;
  for (const auto& name : c.mechanisms) {
    const auto m = auth::parse_mechanism(name);
    if (!m)
      return "listeners.sasl.mechanisms: \"" + name +
             "\" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512";
    s.mechanisms.push_back(*m);
  }
  s.users_file = c.users_file;
  return s;
}

}  // namespace kpp::app
