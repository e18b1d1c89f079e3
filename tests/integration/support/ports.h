// Free loopback ports for tests: the kernel picks, the test binds nothing outside 127.0.0.0/8.
#pragma once

#include <cstdint>

namespace kpp::test {

// A port that was free a moment ago on 127.0.0.1.
std::uint16_t free_port();
// `count` consecutive free ports (a node-id range).
std::uint16_t free_port_run(int count);

}  // namespace kpp::test
