// grepplabs' TLS flags onto the `tls` and `upstream.tls` sections.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/config/config.h"

namespace kpp::config {

// Several flags feed one subject; collected, then applied by finish_tls_flags.
struct tls_flag_state {
  bool validate_subject = false;
  client_subject subject;
};

// Known TLS flag? `takes_value` false: a boolean flag (--flag or --flag=true|false).
[[nodiscard]] bool is_tls_flag(std::string_view name, bool& takes_value);

// Applies one flag; an error names the flag, the value and the expected form.
[[nodiscard]] std::optional<std::string> apply_tls_flag(config& c, tls_flag_state& s,
                                                        const std::string& name,
                                                        const std::string& value,
                                                        std::vector<std::string>* notices);

void finish_tls_flags(config& c, const tls_flag_state& s);

}  // namespace kpp::config
