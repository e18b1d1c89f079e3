// Waiting for a condition in a test without sleeping for a fixed time.
#pragma once

#include <chrono>
#include <thread>

namespace kpp::test {

// Polls `done` every 20 ms until it holds or `timeout` passes.
template <class F>
bool poll_until(F done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kpp::test
