// The ApiVersions answer a listener that authenticates clients itself gives before login:
// only the APIs it serves then (ApiVersions, SaslHandshake v1, SaslAuthenticate v0-2).
#pragma once

#include <cstdint>

#include "kpp/protocol/api_versions_response.h"

namespace kpp::protocol {

[[nodiscard]] api_versions_response sasl_listener_api_versions();

// Appends that answer's body for a client that asked at `requested_version`: at that version
// when it is 0-4; otherwise (KIP-511) UNSUPPORTED_VERSION in the v0 layout, with the ranges,
// so the client retries at a version it finds there. Returns the layout written, which also
// decides the response header (always v0 for ApiVersions).
std::int16_t encode_sasl_listener_api_versions(std::int16_t requested_version, byte_buffer& out);

}  // namespace kpp::protocol
