// upstream.sasl as the dialer needs it: the mechanism parsed and the password read from its
// file or environment variable (auth/upstream_secret), once, at start.
#pragma once

#include <memory>
#include <string>

#include "kpp/common/result.h"
#include "kpp/config/sasl_config.h"
#include "kpp/net/client_authenticator.h"
#include "kpp/net/upstream_login.h"

namespace kpp::app {

using login_settings_ptr = std::shared_ptr<const net::upstream_login_settings>;

// nullptr when the section is off; an error sentence (naming the key) when the secret cannot
// be had. `key`: upstream.sasl, or discovery.sasl (the same shape).
[[nodiscard]] common::result<login_settings_ptr, std::string> upstream_login_from(
    const config::upstream_sasl_config& c, const std::string& key = "upstream.sasl");

// listeners.sasl with its mechanisms parsed.
[[nodiscard]] common::result<net::client_auth_settings, std::string> client_auth_from(
    const config::listener_sasl_config& c);

}  // namespace kpp::app
