// Hand-built Kafka requests over a raw_client, answers decoded with the product's own codecs
// (kpp/protocol), for checking what addresses the proxy hands out without a real client
// (advertised names that do not resolve, or a proxy we want to poke directly).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/kafka_clients.h"
#include "support/raw_client.h"

namespace kpp::test {

// Metadata request body for all topics (v0: empty array; v1+: null array). v0-v3 only.
bytes metadata_request_body(std::int16_t version);

// One Metadata round trip on `c` (request header v1, response header v0: versions 0-8).
// The broker list, or nullopt with *error set (no answer, wrong correlation id, undecodable).
std::optional<std::vector<broker_address>> metadata_round_trip(
    raw_client& c, std::int16_t version, std::int32_t correlation_id, std::string* error = nullptr,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// Connects to 127.0.0.1:port and does one Metadata round trip.
std::optional<std::vector<broker_address>> raw_metadata(std::uint16_t port, std::int16_t version,
                                                        std::string* error = nullptr);

// FindCoordinator (group key) round trip, versions 0-2: the coordinator the answer names.
std::optional<broker_address> find_coordinator_round_trip(raw_client& c, std::int16_t version,
                                                          std::int32_t correlation_id,
                                                          const std::string& group,
                                                          std::string* error = nullptr);

// "host:port" -> node id, sorted by node id, as one comparable line ("1=h:p 2=h:p").
std::string describe(const std::vector<broker_address>& brokers);

}  // namespace kpp::test
