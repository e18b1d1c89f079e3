// The daemon's malloc settings, set once at start before any thread exists.
#pragma once

namespace kpp::app {

// Keeps short-lived buffers of up to 1 MiB on the heap and up to 2 MiB free at the top of each
// heap, instead of glibc's 128 KiB, so buffers that come and go with every burst of traffic
// do not cost a trim and fresh page faults each time (see allocator_tuning.cpp).
void tune_allocator() noexcept;

}  // namespace kpp::app
