// spdlog set up for journald/containers: one line per event on stdout, text or JSON.
#pragma once

#include "kpp/config/config.h"

namespace kpp::app {

void setup_logging(const config::log_config& log);
void set_log_level(config::log_level level);

}  // namespace kpp::app
