#include "kpp/config/sasl_flags.h"

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

namespace kpp::config {
namespace {

struct sasl_flag {
  std::string_view name;
  bool takes_value;
};

constexpr std::array<sasl_flag, 8> sasl_flags{{
    {"auth-local-enable", false},
    {"auth-local-mechanism", true},
    // Ours: grepplabs checks local logins with a plugin binary (--auth-local-command).
    {"auth-local-users-file", true},
    {"sasl-enable", false},
    {"sasl-method", true},
    {"sasl-username", true},
    {"sasl-password", true},
    {"sasl-jaas-config-file", true},
}};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The value of `key="..."` (or key='...') in a JAAS entry.
std::optional<std::string> jaas_value(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    const bool word_start = at == 0 || std::isspace(static_cast<unsigned char>(text[at - 1]));
    std::size_t i = at + key.size();
    at = i;
    if (!word_start) continue;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) continue;
    const char q = text[i++];
    const auto end = text.find(q, i);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(text.substr(i, end - i));
  }
  return std::nullopt;
}

}  // namespace

bool is_sasl_flag(std::string_view name, bool& takes_value) {
  for (const auto& f : sasl_flags)
    if (f.name == name) {
      takes_value = f.takes_value;
      return true;
    }
  return false;
}

std::optional<std::string> apply_sasl_flag(sasl_flag_state& s, const std::string& name,
                                           const std::string& value) {
  if (name == "sasl-enable") {
    s.enable = value == "true";
  } else if (name == "sasl-method") {
    if (value == "AWS_MSK_IAM" || starts_with(value, "AWS"))
      return "--sasl-method " + value +
             ": AWS MSK IAM is not supported; the proxy logs in with PLAIN, SCRAM-SHA-256 or "
             "SCRAM-SHA-512 (MSK offers SCRAM-SHA-512 with a Secrets Manager user)";
    if (value == "OAUTHBEARER")
      return "--sasl-method OAUTHBEARER: OAUTHBEARER is not supported; the proxy logs in with "
             "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512";
    if (value != "PLAIN" && value != "SCRAM-SHA-256" && value != "SCRAM-SHA-512")
      return "--sasl-method: \"" + value + "\" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512";
    s.method = value;
  } else if (name == "sasl-username") {
    s.username = value;
  } else if (name == "sasl-password") {
    s.password = value;
  } else if (name == "sasl-jaas-config-file") {
    s.jaas_file = value;
  } else if (name == "auth-local-enable") {
    s.auth_local = value == "true";
  } else if (name == "auth-local-mechanism") {
    if (value != "PLAIN" && value != "SCRAM-SHA-256" && value != "SCRAM-SHA-512")
      return "--auth-local-mechanism: \"" + value +
             "\" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512";
    s.auth_local_mechanism = value;
  } else if (name == "auth-local-users-file") {
    s.auth_local_users_file = value;
  }
  return std::nullopt;
}

std::optional<jaas_credentials> parse_jaas(std::string_view text) {
  auto user = jaas_value(text, "username");
  auto pass = jaas_value(text, "password");
  if (!user || !pass) return std::nullopt;
  return jaas_credentials{std::move(*user), std::move(*pass)};
}

namespace {

std::optional<std::string> finish_auth_local(config& c, const sasl_flag_state& s,
                                             std::vector<std::string>* notices) {
  if (!s.auth_local) {
    if (notices && (s.auth_local_mechanism || s.auth_local_users_file))
      notices->push_back("--auth-local-* accepted without effect: --auth-local-enable is not set");
    return std::nullopt;
  }
  if (!s.auth_local_users_file)
    return std::string(
        "--auth-local-enable needs --auth-local-users-file FILE (salted credentials written by "
        "`kafka-psc-proxy users add NAME --file FILE`); plugin binaries (--auth-local-command) "
        "are not supported");
  auto& l = c.listeners.sasl;
  l.enabled = true;
  l.mechanisms = {s.auth_local_mechanism.value_or("PLAIN")};  // grepplabs' default
  l.users_file = *s.auth_local_users_file;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> finish_sasl_flags(config& c, const sasl_flag_state& s,
                                             std::vector<std::string>* notices) {
  if (auto e = finish_auth_local(c, s, notices)) return e;
  if (!s.enable) {
    if (notices && (s.method || s.username || s.password || s.jaas_file))
      notices->push_back("--sasl-* accepted without effect: --sasl-enable is not set");
    return std::nullopt;
  }
  auto& u = c.upstream.sasl;
  u.enabled = true;
  u.mechanism = s.method.value_or("PLAIN");  // grepplabs' default
  if (s.jaas_file) {
    if (s.username || s.password)
      return std::string(
          "--sasl-jaas-config-file and --sasl-username/--sasl-password both give the "
          "credentials; use one");
    std::ifstream in(*s.jaas_file, std::ios::binary);
    if (!in)
      return "--sasl-jaas-config-file: \"" + *s.jaas_file +
             "\" cannot be read; expected a JAAS file with username=\"...\" password=\"...\"";
    std::stringstream text;
    text << in.rdbuf();
    auto creds = parse_jaas(text.str());
    if (!creds)
      return "--sasl-jaas-config-file: \"" + *s.jaas_file +
             "\" has no username=\"...\" and password=\"...\" (a PlainLoginModule or "
             "ScramLoginModule entry)";
    u.username = std::move(creds->username);
    u.password = std::move(creds->password);
    return std::nullopt;
  }
  u.username = s.username.value_or("");
  u.password = s.password.value_or("");
  if (u.password.empty())
    return std::string(
        "--sasl-enable needs the password: --sasl-password (visible in ps) or "
        "--sasl-jaas-config-file; or use a YAML config with upstream.sasl.password_file");
  if (notices)
    notices->push_back(
        "--sasl-password is visible to every local user in ps; prefer --sasl-jaas-config-file or "
        "a YAML config with upstream.sasl.password_file");
  return std::nullopt;
}

std::optional<std::string> sasl_refusal(std::string_view name) {
  const std::string flag = "--" + std::string(name);
  if (starts_with(name, "sasl-aws-"))
    return flag +
           ": AWS MSK IAM login is not supported; the proxy logs in with PLAIN, SCRAM-SHA-256 or "
           "SCRAM-SHA-512 (--sasl-enable --sasl-method SCRAM-SHA-512, or YAML upstream.sasl)";
  if (starts_with(name, "gssapi-"))
    return flag +
           ": Kerberos (GSSAPI) is not supported; the proxy logs in with PLAIN, SCRAM-SHA-256 or "
           "SCRAM-SHA-512 (--sasl-enable, or YAML upstream.sasl)";
  if (starts_with(name, "sasl-plugin-"))
    return flag +
           ": external SASL plugin binaries are not supported; the proxy logs in itself with "
           "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (--sasl-enable, or YAML upstream.sasl)";
  if (name == "auth-local-command")
    return flag +
           ": external authentication plugin binaries are not supported; the proxy checks "
           "client logins itself against a users file of salted SCRAM credentials: "
           "--auth-local-enable --auth-local-users-file FILE (`kafka-psc-proxy users add`)";
  if (starts_with(name, "auth-gateway-"))
    return flag +
           ": the auth gateway between two proxies (external plugin binaries) is not supported; "
           "use TLS between the proxies (upstream.tls) and SASL logins (upstream.sasl)";
  return std::nullopt;
}

}  // namespace kpp::config
