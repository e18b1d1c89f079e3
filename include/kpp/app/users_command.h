// `kafka-psc-proxy users add NAME`: adds or replaces a client login in a users file
// (listeners.sasl) as salted SCRAM-SHA-256 and SCRAM-SHA-512 credentials, never the password.
#pragma once

#include "kpp/config/flag_parser.h"

namespace kpp::app {

// Reads the password from a prompt without echo (a terminal) or one line of stdin; returns
// the exit status (0, 1 on failure with a message on stderr).
int run_users_add(const config::users_request& request);

}  // namespace kpp::app
