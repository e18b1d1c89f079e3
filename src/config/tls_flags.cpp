#include "kpp/config/tls_flags.h"

#include <array>
#include <sstream>

namespace kpp::config {
namespace {

struct tls_flag {
  std::string_view name;
  bool takes_value;
};

constexpr std::array<tls_flag, 25> tls_flags{{
    {"tls-enable", false},
    {"tls-ca-chain-cert-file", true},
    {"tls-client-cert-file", true},
    {"tls-client-key-file", true},
    {"tls-client-key-password", true},
    {"tls-insecure-skip-verify", false},
    {"tls-system-cert-pool", false},
    {"tls-refresh", true},
    {"proxy-listener-tls-enable", false},
    {"proxy-listener-cert-file", true},
    {"proxy-listener-key-file", true},
    {"proxy-listener-key-password", true},
    {"proxy-listener-ca-chain-cert-file", true},
    {"proxy-listener-crl-file", true},
    {"proxy-listener-cipher-suites", true},
    {"proxy-listener-curve-preferences", true},
    {"proxy-listener-tls-refresh", true},
    {"proxy-listener-tls-client-cert-validate-subject", false},
    {"proxy-listener-tls-required-client-subject-common-name", true},
    {"proxy-listener-tls-required-client-subject-country", true},
    {"proxy-listener-tls-required-client-subject-province", true},
    {"proxy-listener-tls-required-client-subject-locality", true},
    {"proxy-listener-tls-required-client-subject-organization", true},
    {"proxy-listener-tls-required-client-subject-organizational-unit", true},
    // Our own spelling of "subject": grepplabs' required-client-subject-* in one flag.
    {"proxy-listener-tls-required-client-subject", true},
}};

std::vector<std::string> comma_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream in(v);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void append(std::vector<std::string>& to, const std::string& v) {
  for (auto& x : comma_list(v)) to.push_back(std::move(x));
}

std::optional<std::string> duration_flag(const std::string& flag, const std::string& v,
                                         millis& out) {
  auto d = parse_duration(v);
  if (!d) return "--" + flag + ": \"" + v + "\" is not a duration; expected e.g. 1m or 30s";
  out = *d;
  return std::nullopt;
}

// "CN=ticdc,O=pingcap,OU=cdc": the attributes grepplabs takes as separate flags.
std::optional<std::string> parse_subject(const std::string& flag, const std::string& v,
                                         client_subject& out) {
  for (const auto& part : comma_list(v)) {
    const auto eq = part.find('=');
    const auto k = part.substr(0, eq);
    const auto val = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (eq == std::string::npos || val.empty())
      return "--" + flag + ": \"" + v + "\" is not a subject; expected e.g. CN=ticdc,O=pingcap";
    if (k == "CN")
      out.common_name = val;
    else if (k == "C")
      out.country.push_back(val);
    else if (k == "ST")
      out.province.push_back(val);
    else if (k == "L")
      out.locality.push_back(val);
    else if (k == "O")
      out.organization.push_back(val);
    else if (k == "OU")
      out.organizational_unit.push_back(val);
    else
      return "--" + flag + ": \"" + k +
             "\" is not a subject attribute; expected CN, C, ST, L, O or OU";
  }
  return std::nullopt;
}

void warn_password_on_command_line(const std::string& flag, std::vector<std::string>* notices) {
  if (notices)
    notices->push_back("--" + flag +
                       ": a password on the command line is visible to every local user (ps, "
                       "/proc/PID/cmdline); prefer key_password_file in a YAML configuration");
}

}  // namespace

bool is_tls_flag(std::string_view name, bool& takes_value) {
  for (const auto& f : tls_flags)
    if (f.name == name) {
      takes_value = f.takes_value;
      return true;
    }
  return false;
}

std::optional<std::string> apply_tls_flag(config& c, tls_flag_state& s, const std::string& name,
                                          const std::string& value,
                                          std::vector<std::string>* notices) {
  auto& up = c.upstream.tls;
  auto& li = c.tls;
  const bool on = value == "true";
  if (name == "tls-enable")
    up.enabled = on;
  else if (name == "tls-ca-chain-cert-file")
    up.ca_file = value;
  else if (name == "tls-client-cert-file")
    up.cert_file = value;
  else if (name == "tls-client-key-file")
    up.key_file = value;
  else if (name == "tls-client-key-password") {
    up.key_password.value = value;
    warn_password_on_command_line(name, notices);
  } else if (name == "tls-insecure-skip-verify")
    up.insecure_skip_verify = on;
  else if (name == "tls-system-cert-pool")
    up.system_pool = on;
  else if (name == "tls-refresh")
    return duration_flag(name, value, up.refresh);
  else if (name == "proxy-listener-tls-enable")
    li.enabled = on;
  else if (name == "proxy-listener-cert-file")
    li.cert_file = value;
  else if (name == "proxy-listener-key-file")
    li.key_file = value;
  else if (name == "proxy-listener-key-password") {
    li.key_password.value = value;
    warn_password_on_command_line(name, notices);
  } else if (name == "proxy-listener-ca-chain-cert-file") {
    li.client_ca_file = value;  // grepplabs: a client CA means client certificates are required
    li.client_auth = value.empty() ? tls_client_auth::none : tls_client_auth::require;
  } else if (name == "proxy-listener-crl-file")
    li.crl_file = value;
  else if (name == "proxy-listener-cipher-suites")
    append(li.cipher_suites, value);
  else if (name == "proxy-listener-curve-preferences")
    append(li.curves, value);
  else if (name == "proxy-listener-tls-refresh")
    return duration_flag(name, value, li.refresh);
  else if (name == "proxy-listener-tls-client-cert-validate-subject")
    s.validate_subject = on;
  else if (name == "proxy-listener-tls-required-client-subject-common-name")
    s.subject.common_name = value;
  else if (name == "proxy-listener-tls-required-client-subject-country")
    append(s.subject.country, value);
  else if (name == "proxy-listener-tls-required-client-subject-province")
    append(s.subject.province, value);
  else if (name == "proxy-listener-tls-required-client-subject-locality")
    append(s.subject.locality, value);
  else if (name == "proxy-listener-tls-required-client-subject-organization")
    append(s.subject.organization, value);
  else if (name == "proxy-listener-tls-required-client-subject-organizational-unit")
    append(s.subject.organizational_unit, value);
  else if (name == "proxy-listener-tls-required-client-subject") {
    s.validate_subject = true;
    return parse_subject(name, value, s.subject);
  }
  return std::nullopt;
}

void finish_tls_flags(config& c, const tls_flag_state& s) {
  // grepplabs checks the subject only with --proxy-listener-tls-client-cert-validate-subject.
  if (s.validate_subject && s.subject != client_subject{})
    c.tls.allowed_client_subjects.push_back(s.subject);
}

}  // namespace kpp::config
