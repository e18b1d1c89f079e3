// Checks of the `upstream.sasl` section.
#pragma once

#include <vector>

#include "kpp/config/validate.h"

namespace kpp::config {

void check_sasl(const config& c, std::vector<problem>& out);

}  // namespace kpp::config
