// Checks of routing: sni and the `sni` section (sni_config.h).
#pragma once

#include <vector>

#include "kpp/config/validate.h"

namespace kpp::config {

void check_sni(const config& c, std::vector<problem>& out);

}  // namespace kpp::config
