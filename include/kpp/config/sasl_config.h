// SASL settings as the configuration states them: `upstream.sasl`, the login the proxy makes
// to every broker on its clients' behalf. The password never sits in the YAML (the .deb's
// conffile is world-readable): it comes from a file or an environment variable (or, from
// grepplabs flags, the command line, which `ps` shows: the flag parser warns).
#pragma once

#include <string>
#include <vector>

namespace kpp::config {

struct upstream_sasl_config {
  bool enabled = false;
  std::string mechanism = "SCRAM-SHA-512";  // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
  std::string username;
  std::string password_file;  // read at start; must not be readable by others
  std::string password_env;   // the name of an environment variable
  std::string password;       // command line only (--sasl-password); never written by to_yaml
  friend bool operator==(const upstream_sasl_config&, const upstream_sasl_config&) = default;
};

// `listeners.sasl`: clients must log in to the proxy (SASL, checked against a users file of
// salted SCRAM credentials) before anything goes upstream.
struct listener_sasl_config {
  bool enabled = false;
  std::vector<std::string> mechanisms{"SCRAM-SHA-512", "SCRAM-SHA-256"};
  std::string users_file;  // written by `kafka-psc-proxy users add`; mode 0600
  friend bool operator==(const listener_sasl_config&, const listener_sasl_config&) = default;
};

struct listeners_config {
  listener_sasl_config sasl;
  friend bool operator==(const listeners_config&, const listeners_config&) = default;
};

// YAML text of `listeners` (nothing when client authentication is off).
void append_listeners_yaml(std::string& out, const listeners_config& l);

// YAML text of upstream.sasl (to_yaml), to follow the `upstream:` block.
void append_upstream_sasl_yaml(std::string& out, const upstream_sasl_config& s);

}  // namespace kpp::config
