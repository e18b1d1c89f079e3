// Checks of the `tls`, `bootstrap.listeners[].tls` and `upstream.tls` sections.
#pragma once

#include <vector>

#include "kpp/config/validate.h"

namespace kpp::config {

void check_tls(const config& c, std::vector<problem>& out);

// False while sessions cannot run TLS to the brokers: a config or flag asking for it is
// refused.
[[nodiscard]] bool upstream_tls_supported() noexcept;

}  // namespace kpp::config
