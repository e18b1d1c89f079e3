// TLS settings as the configuration states them: one `tls:` block for the client-facing
// listeners (a bootstrap listener may override it) and `upstream.tls` for the proxy's own
// connections to brokers (sessions and discovery). Secrets are never held here in YAML form:
// a key password comes from a file or an environment variable (or, from grepplabs flags, the
// command line, which `ps` shows: the flag parser warns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/config/duration.h"
#include "kpp/config/sasl_config.h"

namespace kpp::config {

using namespace std::chrono_literals;

enum class tls_min_version : std::uint8_t { v1_2, v1_3 };
enum class tls_client_auth : std::uint8_t { none, request, require };

[[nodiscard]] std::string_view to_string(tls_min_version v) noexcept;  // "1.2" | "1.3"
[[nodiscard]] std::string_view to_string(tls_client_auth a) noexcept;  // none|request|require
[[nodiscard]] std::optional<tls_min_version> parse_tls_min_version(std::string_view s) noexcept;
[[nodiscard]] std::optional<tls_client_auth> parse_tls_client_auth(std::string_view s) noexcept;

// Where a private key's password comes from: at most one of these.
struct key_password_source {
  std::string file;   // key_password_file: read at every (re)load, trailing newline dropped
  std::string env;    // key_password_env: the name of an environment variable
  std::string value;  // command line only (--*-key-password); never written by to_yaml
  friend bool operator==(const key_password_source&, const key_password_source&) = default;
};

// A client certificate subject that tls.allowed_client_subjects admits: each attribute given
// must equal the certificate's (a list: the same set of values).
struct client_subject {
  std::string common_name;
  std::vector<std::string> country;
  std::vector<std::string> province;
  std::vector<std::string> locality;
  std::vector<std::string> organization;
  std::vector<std::string> organizational_unit;
  friend bool operator==(const client_subject&, const client_subject&) = default;
};

struct listener_tls_config {
  bool enabled = false;
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;
  key_password_source key_password;
  tls_min_version min_version = tls_min_version::v1_2;
  std::vector<std::string> cipher_suites;  // OpenSSL or Go names; empty: OpenSSL defaults
  std::vector<std::string> curves;         // OpenSSL or Go names; empty: OpenSSL defaults
  std::string client_ca_file;
  tls_client_auth client_auth = tls_client_auth::none;
  std::vector<client_subject> allowed_client_subjects;
  std::string crl_file;
  millis refresh = 1min;  // files re-read when changed; 0: only on SIGHUP
  friend bool operator==(const listener_tls_config&, const listener_tls_config&) = default;
};

struct upstream_tls_config {
  bool enabled = false;
  std::string ca_file;       // empty: the system trust store
  bool system_pool = false;  // the system trust store as well as ca_file
  std::string cert_file;     // client certificate for mTLS to the brokers
  std::string key_file;
  key_password_source key_password;
  tls_min_version min_version = tls_min_version::v1_2;
  bool insecure_skip_verify = false;
  std::string server_name;  // empty: each broker's own host (SNI and verification)
  millis refresh = 1min;
  friend bool operator==(const upstream_tls_config&, const upstream_tls_config&) = default;
};

struct upstream_config {
  upstream_tls_config tls;
  upstream_sasl_config sasl;
  friend bool operator==(const upstream_config&, const upstream_config&) = default;
};

// YAML text of the TLS sections (to_yaml), each line indented by `indent` spaces.
void append_tls_yaml(std::string& out, const listener_tls_config& t, std::size_t indent);
void append_upstream_yaml(std::string& out, const upstream_config& u);

}  // namespace kpp::config
