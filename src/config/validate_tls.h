// Checks of the `tls`, `bootstrap.listeners[].tls` and `upstream.tls` sections.
#pragma once

#include <vector>

#include "kpp/config/validate.h"

namespace kpp::config {

void check_tls(const config& c, std::vector<problem>& out);

}  // namespace kpp::config
