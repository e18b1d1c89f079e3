// Free loopback ports for tests: the kernel picks, the test binds nothing outside 127.0.0.0/8.
#pragma once

#include <cstdint>

namespace kpp::test {

// A port that was free a moment ago on 127.0.0.1.
std::uint16_t free_port();
// `count` consecutive free ports (a node-id range).
std::uint16_t free_port_run(int count);
// A listening socket on 127.0.0.1 at a port the kernel picks (returned in `port`), for the
// tests' scripted fake brokers. Throws naming `who` when it cannot listen.
int listen_loopback(std::uint16_t& port, const char* who);

}  // namespace kpp::test
