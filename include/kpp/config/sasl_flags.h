// grepplabs' SASL flags onto `upstream.sasl`, and the refusals (with what the proxy offers
// instead) for the SASL and authentication flags it does not map.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/config/config.h"

namespace kpp::config {

// Several flags feed upstream.sasl; collected, then applied by finish_sasl_flags.
struct sasl_flag_state {
  bool enable = false;
  std::optional<std::string> method;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> jaas_file;
  // --auth-local-*: clients log in to the proxy (listeners.sasl).
  bool auth_local = false;
  std::optional<std::string> auth_local_mechanism;
  std::optional<std::string> auth_local_users_file;
};

// Known SASL flag? `takes_value` false: a boolean flag (--flag or --flag=true|false).
[[nodiscard]] bool is_sasl_flag(std::string_view name, bool& takes_value);

// Records one flag; an error names the flag, the value and the expected form.
[[nodiscard]] std::optional<std::string> apply_sasl_flag(sasl_flag_state& s,
                                                         const std::string& name,
                                                         const std::string& value);

// Fills c.upstream.sasl (reading --sasl-jaas-config-file); notices for flags without effect.
[[nodiscard]] std::optional<std::string> finish_sasl_flags(config& c, const sasl_flag_state& s,
                                                           std::vector<std::string>* notices);

// For a refused grepplabs flag of the SASL/auth families: why, and what to use instead.
// nullopt for any other flag.
[[nodiscard]] std::optional<std::string> sasl_refusal(std::string_view name);

// The username and password of a JAAS file's PlainLoginModule or ScramLoginModule entry
// (username="..." password="..."), as grepplabs reads --sasl-jaas-config-file.
struct jaas_credentials {
  std::string username;
  std::string password;
};
[[nodiscard]] std::optional<jaas_credentials> parse_jaas(std::string_view text);

}  // namespace kpp::config
