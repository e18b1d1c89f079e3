// Every API key the proxy knows: name, valid and flexible versions (from the official
// message definitions in shared/kafka-protocol/message, cross-checked by a unit test),
// and what the proxy must do with its responses.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kpp/protocol/error.h"

namespace kpp::protocol {

// What the response pump does with a response, chosen when the request passes.
enum class response_action : std::uint8_t {
  stream,             // forward bytes untouched
  api_versions,       // cap address-carrying APIs, drop unknown keys
  metadata,           // Brokers[].Host/Port
  find_coordinator,   // NodeId/Host/Port (v0-3) or Coordinators[] (v4+)
  describe_cluster,   // Brokers[].Host/Port
  produce,            // flexible versions: top-level tagged NodeEndpoints (tag 0)
  fetch,              // flexible versions: top-level tagged NodeEndpoints (tag 0)
  share_fetch,        // NodeEndpoints
  share_acknowledge,  // NodeEndpoints
  describe_quorum,    // Nodes[].Listeners[] (v2+)
};

[[nodiscard]] std::string_view to_string(response_action a) noexcept;

struct api_info {
  std::int16_t key;
  std::string_view name;
  std::int16_t min_version;
  std::int16_t max_version;     // highest version the proxy knows the layout of
  std::int16_t first_flexible;  // -1: no flexible version
  // For address-carrying APIs: the action; `stream` for everything else.
  response_action action;
};

namespace api_key {
inline constexpr std::int16_t produce = 0;
inline constexpr std::int16_t fetch = 1;
inline constexpr std::int16_t metadata = 3;
inline constexpr std::int16_t controlled_shutdown = 7;
inline constexpr std::int16_t find_coordinator = 10;
inline constexpr std::int16_t sasl_handshake = 17;
inline constexpr std::int16_t api_versions = 18;
inline constexpr std::int16_t sasl_authenticate = 36;
inline constexpr std::int16_t describe_quorum = 55;
inline constexpr std::int16_t describe_cluster = 60;
inline constexpr std::int16_t share_fetch = 78;
inline constexpr std::int16_t share_acknowledge = 79;
}  // namespace api_key

// All known APIs, sorted by key.
[[nodiscard]] std::span<const api_info> all_apis() noexcept;
// nullptr when the key is unknown.
[[nodiscard]] const api_info* find_api(std::int16_t key) noexcept;

[[nodiscard]] bool is_flexible(const api_info& api, std::int16_t version) noexcept;

// Request header version: 0 for ControlledShutdown v0, 2 for flexible versions, else 1.
// unknown_api_key / unknown_version errors for what the table does not know.
[[nodiscard]] result<std::int16_t> request_header_version(std::int16_t key, std::int16_t version);
// Response header version: 1 for flexible versions, else 0; ApiVersions always 0.
[[nodiscard]] result<std::int16_t> response_header_version(std::int16_t key,
                                                            std::int16_t version);

// What to do with the response to (key, version). Versions of an address-carrying API that
// cannot carry an address (e.g. non-flexible Produce) map to `stream`. An address-carrying
// API at a version the table does not know is an error (unknown_version): fail closed.
[[nodiscard]] result<response_action> action_for(std::int16_t key, std::int16_t version);

}  // namespace kpp::protocol
