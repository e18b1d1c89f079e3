#include "kpp/config/sasl_config.h"

#include <string_view>

namespace kpp::config {
namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

void append_listeners_yaml(std::string& out, const listeners_config& l) {
  const auto& s = l.sasl;
  if (!s.enabled) return;
  out += "listeners:\n  sasl:\n    mechanisms: [";
  for (std::size_t i = 0; i < s.mechanisms.size(); ++i)
    out += (i ? ", " : "") + quote(s.mechanisms[i]);
  out += "]\n    users_file: " + quote(s.users_file) + "\n";
}

void append_upstream_sasl_yaml(std::string& out, const upstream_sasl_config& s) {
  if (!s.enabled) return;  // the default: no `sasl:` key, as a file without it reads
  out += "  sasl:\n";
  out += "    mechanism: " + quote(s.mechanism) + "\n";
  out += "    username: " + quote(s.username) + "\n";
  if (!s.password_file.empty()) out += "    password_file: " + quote(s.password_file) + "\n";
  if (!s.password_env.empty()) out += "    password_env: " + quote(s.password_env) + "\n";
}

}  // namespace kpp::config
