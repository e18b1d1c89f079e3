// The Kafka error codes of a SASL exchange (Errors.java).
#pragma once

#include <cstdint>

namespace kpp::auth::kafka_error {

inline constexpr std::int16_t none = 0;
inline constexpr std::int16_t unsupported_sasl_mechanism = 33;
inline constexpr std::int16_t illegal_sasl_state = 34;
inline constexpr std::int16_t sasl_authentication_failed = 58;

}  // namespace kpp::auth::kafka_error
