#include "kpp/config/tls_config.h"

namespace kpp::config {

std::string_view to_string(tls_min_version v) noexcept {
  return v == tls_min_version::v1_3 ? "1.3" : "1.2";
}

std::string_view to_string(tls_client_auth a) noexcept {
  switch (a) {
    case tls_client_auth::request:
      return "request";
    case tls_client_auth::require:
      return "require";
    default:
      return "none";
  }
}

std::optional<tls_min_version> parse_tls_min_version(std::string_view s) noexcept {
  if (s == "1.2" || s == "TLS1.2" || s == "TLSv1.2") return tls_min_version::v1_2;
  if (s == "1.3" || s == "TLS1.3" || s == "TLSv1.3") return tls_min_version::v1_3;
  return std::nullopt;
}

std::optional<tls_client_auth> parse_tls_client_auth(std::string_view s) noexcept {
  if (s == "none") return tls_client_auth::none;
  if (s == "request") return tls_client_auth::request;
  if (s == "require") return tls_client_auth::require;
  return std::nullopt;
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quote(v[i]);
  return out + "]";
}

void line(std::string& out, std::size_t indent, std::string_view key, const std::string& value) {
  out.append(indent, ' ');
  out += key;
  out += ": ";
  out += value;
  out += '\n';
}

void password(std::string& out, std::size_t indent, const key_password_source& p) {
  if (!p.file.empty()) line(out, indent, "key_password_file", quote(p.file));
  if (!p.env.empty()) line(out, indent, "key_password_env", quote(p.env));
  // p.value (from the command line) is a secret: never printed.
}

}  // namespace

void append_tls_yaml(std::string& out, const listener_tls_config& t, std::size_t indent) {
  line(out, indent, "enabled", t.enabled ? "true" : "false");
  line(out, indent, "cert_file", quote(t.cert_file));
  line(out, indent, "key_file", quote(t.key_file));
  password(out, indent, t.key_password);
  line(out, indent, "min_version", quote(to_string(t.min_version)));
  line(out, indent, "cipher_suites", list(t.cipher_suites));
  line(out, indent, "curves", list(t.curves));
  line(out, indent, "client_ca_file", quote(t.client_ca_file));
  line(out, indent, "client_auth", std::string(to_string(t.client_auth)));
  if (t.allowed_client_subjects.empty()) {
    line(out, indent, "allowed_client_subjects", "[]");
  } else {
    out.append(indent, ' ');
    out += "allowed_client_subjects:\n";
    for (const auto& s : t.allowed_client_subjects) {
      out.append(indent + 2, ' ');
      out += "- common_name: " + quote(s.common_name) + "\n";
      line(out, indent + 4, "country", list(s.country));
      line(out, indent + 4, "province", list(s.province));
      line(out, indent + 4, "locality", list(s.locality));
      line(out, indent + 4, "organization", list(s.organization));
      line(out, indent + 4, "organizational_unit", list(s.organizational_unit));
    }
  }
  line(out, indent, "crl_file", quote(t.crl_file));
  line(out, indent, "refresh", format_duration(t.refresh));
}

void append_upstream_yaml(std::string& out, const upstream_config& u) {
  const auto& t = u.tls;
  out += "upstream:\n  tls:\n";
  line(out, 4, "enabled", t.enabled ? "true" : "false");
  line(out, 4, "ca_file", quote(t.ca_file));
  line(out, 4, "system_pool", t.system_pool ? "true" : "false");
  line(out, 4, "cert_file", quote(t.cert_file));
  line(out, 4, "key_file", quote(t.key_file));
  password(out, 4, t.key_password);
  line(out, 4, "min_version", quote(to_string(t.min_version)));
  line(out, 4, "insecure_skip_verify", t.insecure_skip_verify ? "true" : "false");
  line(out, 4, "server_name", quote(t.server_name));
  line(out, 4, "refresh", format_duration(t.refresh));
}

}  // namespace kpp::config
