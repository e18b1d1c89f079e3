#include "validate_sasl.h"

#include <unistd.h>

#include <cstdlib>

namespace kpp::config {

namespace {

void check_listener_sasl(const listener_sasl_config& s, std::vector<problem>& out) {
  if (!s.enabled) return;
  const std::string key = "listeners.sasl";
  auto add = [&out](const std::string& k, const std::string& text) {
    out.push_back({k, k + ": " + text});
  };
  if (s.mechanisms.empty())
    add(key + ".mechanisms", "is empty; expected e.g. [SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]");
  for (std::size_t i = 0; i < s.mechanisms.size(); ++i) {
    const auto& m = s.mechanisms[i];
    if (m != "PLAIN" && m != "SCRAM-SHA-256" && m != "SCRAM-SHA-512")
      add(key + ".mechanisms[" + std::to_string(i) + "]",
          "\"" + m + "\" is not supported; expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  }
  if (s.users_file.empty())
    add(key + ".users_file",
        "is missing; expected a users file written by `kafka-psc-proxy users add NAME --file F`");
  else if (::access(s.users_file.c_str(), R_OK) != 0)
    add(key + ".users_file", "\"" + s.users_file +
                                 "\" cannot be read; create it with `kafka-psc-proxy users add "
                                 "NAME --file " +
                                 s.users_file + "`");
}

// upstream.sasl and discovery.sasl: one shape, one set of rules; `key` names the section.
void check_login(const upstream_sasl_config& s, const std::string& key, std::vector<problem>& out) {
  if (!s.enabled) return;
  auto add = [&out](const std::string& k, const std::string& text) {
    out.push_back({k, k + ": " + text});
  };
  if (s.mechanism != "PLAIN" && s.mechanism != "SCRAM-SHA-256" && s.mechanism != "SCRAM-SHA-512")
    add(key + ".mechanism",
        "\"" + s.mechanism +
            "\" is not supported; expected PLAIN, SCRAM-SHA-256 or "
            "SCRAM-SHA-512 (as the broker's sasl.enabled.mechanisms spells it)");
  if (s.username.empty())
    add(key + ".username", "is missing; expected the broker user to log in as");
  const int sources = !s.password_file.empty() + !s.password_env.empty() + !s.password.empty();
  if (sources == 0)
    add(key + ".password_file",
        "is missing; expected password_file (a file readable only by the proxy's user) or "
        "password_env (an environment variable's name); the password never goes in the YAML");
  if (sources > 1)
    add(key + ".password_file",
        "give the password one way: password_file or password_env (or --sasl-password), not "
        "several");
  if (!s.password_file.empty() && ::access(s.password_file.c_str(), R_OK) != 0)
    add(key + ".password_file",
        "\"" + s.password_file + "\" cannot be read; expected a file holding the password");
  if (!s.password_env.empty() && std::getenv(s.password_env.c_str()) == nullptr)
    add(key + ".password_env",
        "environment variable " + s.password_env + " is not set; set it or use password_file");
}

}  // namespace

void check_sasl(const config& c, std::vector<problem>& out) {
  check_listener_sasl(c.listeners.sasl, out);
  check_login(c.upstream.sasl, "upstream.sasl", out);
  check_login(c.discovery.sasl, "discovery.sasl", out);
  // One login for discovery, not two that could disagree: upstream.sasl already covers it.
  if (c.upstream.sasl.enabled && c.discovery.sasl.enabled)
    out.push_back({"discovery.sasl",
                   "discovery.sasl: is only for pass-through SASL (clients log in to the "
                   "brokers themselves); upstream.sasl is set, and discovery already logs in "
                   "with it: remove discovery.sasl"});
}

}  // namespace kpp::config
