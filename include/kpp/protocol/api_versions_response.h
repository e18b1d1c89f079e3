// ApiVersions response (API key 18), v0-v4; flexible from v3 (KIP-482). Its header is
// always v0 (KIP-511), so only the body is handled here.
//
//   ErrorCode int16
//   ApiKeys                     array (compact from v3)
//     ApiKey int16, MinVersion int16, MaxVersion int16
//     _tagged_fields                                           (v3+)
//   ThrottleTimeMs int32                                       (v1+)
//   _tagged_fields                                             (v3+: 0 SupportedFeatures,
//                               1 FinalizedFeaturesEpoch, 2 FinalizedFeatures,
//                               3 ZkMigrationReady; kept byte for byte)
#pragma once

#include <cstdint>
#include <vector>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

inline constexpr std::int16_t api_versions_max_version = 4;
inline constexpr std::int16_t api_versions_first_flexible = 3;
inline constexpr std::int16_t unsupported_version_error = 35;  // UNSUPPORTED_VERSION

struct api_version_range {
  std::int16_t api_key = 0;      // ApiKey          int16
  std::int16_t min_version = 0;  // MinVersion      int16
  std::int16_t max_version = 0;  // MaxVersion      int16
  bytes_view tagged_fields;      // _tagged_fields (v3+), verbatim, count included
};

struct api_versions_response {
  std::int16_t error_code = 0;              // ErrorCode       int16
  std::vector<api_version_range> api_keys;  // ApiKeys
  std::int32_t throttle_time_ms = 0;        // ThrottleTimeMs  int32 (v1+)
  bytes_view tagged_fields;                 // _tagged_fields (v3+), verbatim
};

// Decodes a whole body at exactly `version` (0-4).
[[nodiscard]] result<api_versions_response> decode_api_versions_response(bytes_view body,
                                                                         std::int16_t version);
// Appends the body at `version`; empty tagged_fields views encode as empty sections.
void encode_api_versions_response(const api_versions_response& resp, std::int16_t version,
                                  byte_buffer& out);

struct decoded_api_versions {
  api_versions_response response;
  std::int16_t format_version = 0;  // the layout the body turned out to have
};

// Decodes as a client must (KIP-511): a broker that does not know the requested version
// answers UNSUPPORTED_VERSION in v0 format whatever was asked. With error 35 the v0 layout
// is tried first; otherwise the requested one, then v0 (as the Java client does). A version
// above 4 is only accepted in that v0 form.
[[nodiscard]] result<decoded_api_versions> decode_api_versions_response_any(
    bytes_view body, std::int16_t requested_version);

// Appends the body to `out` with (1) API keys unknown to api_table dropped, since a future
// API might carry addresses; (2) address-carrying APIs (action != stream) clamped to the
// table's max_version, dropped when their min is above it; every other range untouched.
// Re-encoded in the layout the body had (v0 for the KIP-511 fallback). When nothing needs
// to change, returns changed=false and leaves `out` untouched.
[[nodiscard]] result<rewrite_stats> cap_api_versions(bytes_view body, std::int16_t version,
                                                     byte_buffer& out);

}  // namespace kpp::protocol
