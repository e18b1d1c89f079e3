// ApiVersions request body (API key 18), for the proxy's own discovery connections.
//   v0-v2: empty
//   v3+ (flexible, KIP-511): ClientSoftwareName compact string,
//                            ClientSoftwareVersion compact string, _tagged_fields
#pragma once

#include <cstdint>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::string_view proxy_software_name = "kafka-psc-proxy";
#ifdef KPP_VERSION
inline constexpr std::string_view proxy_software_version = KPP_VERSION;
#else
inline constexpr std::string_view proxy_software_version = "unknown";
#endif

// The body for `version` (0-4; unknown_version otherwise). KIP-511 requires both names to
// match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? or the broker answers INVALID_REQUEST;
// invalid_value is returned here instead of sending such a request.
[[nodiscard]] result<byte_buffer> encode_api_versions_request_body(
    std::int16_t version, std::string_view software_name = proxy_software_name,
    std::string_view software_version = proxy_software_version);

}  // namespace kpp::protocol
