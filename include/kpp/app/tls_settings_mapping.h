// The config's TLS sections translated into net's TLS settings: names mapped one to one, the
// key password source resolved (a file stays a path, re-read on every reload; an environment
// variable is read now). Also the start-up warnings TLS settings deserve.
#pragma once

#include <string>
#include <vector>

#include "kpp/config/tls_config.h"
#include "kpp/net/tls_settings.h"

namespace kpp::app {

[[nodiscard]] net::tls_server_settings tls_server_settings_from(
    const config::listener_tls_config& t);
[[nodiscard]] net::tls_client_settings tls_client_settings_from(
    const config::upstream_tls_config& t);

// One line each: insecure_skip_verify, a password given on the command line. Never a secret.
[[nodiscard]] std::vector<std::string> tls_startup_warnings(const config::listener_tls_config& l,
                                                            const config::upstream_tls_config& u);

}  // namespace kpp::app
