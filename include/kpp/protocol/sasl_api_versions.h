// The ApiVersions answer a listener that authenticates clients itself gives before login:
// only the APIs it serves then (ApiVersions, SaslHandshake v1, SaslAuthenticate v0-2).
#pragma once

#include <cstdint>

#include "kpp/protocol/api_versions_response.h"

namespace kpp::protocol {

[[nodiscard]] api_versions_response sasl_listener_api_versions();

}  // namespace kpp::protocol
