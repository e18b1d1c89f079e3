// `kafka-psc-proxy check`: diagnoses a deployment from where it runs (bootstrap servers, the
// broker map, listen ports, advertised names and DNS, and with --through the path through
// the endpoint). Prints a table (or --json) and returns the exit status: 0 all OK, 1 on a
// finding. (Exit status 2, a bad configuration, is decided before this runs.)
#pragma once

#include <string>

#include "kpp/config/config.h"
#include "kpp/config/flag_parser.h"

namespace kpp::app {

// `source` names where the config came from ("config FILE", "server flags").
[[nodiscard]] int run_check(const config::config& cfg, const std::string& source,
                            const config::check_request& request);

}  // namespace kpp::app
