// `kafka-psc-proxy demo`: a 3-broker librdkafka mock cluster, the proxy in front of it told
// about one bootstrap broker only, and a real producer and consumer group through the proxy.
#pragma once

#include <cstdint>

namespace kpp::app {

// Returns the process exit code: 0 when every message came back intact through the proxy.
int run_demo(std::uint64_t messages);

}  // namespace kpp::app
