// A process-wide budget of bytes (limits.assembled_memory for assembled responses). A session
// that needs more than is left waits for memory to come back instead of allocating: it stops
// reading that upstream, which is the backpressure a broker sees from a slow client anyway.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace kpp::net {

class memory_budget {
 public:
  // Takes `n` bytes if they fit under `limit` (or if nothing is taken at all, so one frame
  // larger than the budget still passes alone). Otherwise registers `wake`, called once from
  // some release() after this call, on the releasing thread: it must only post work.
  bool acquire_or_wait(std::size_t n, std::size_t limit, std::function<void()> wake);
  void release(std::size_t n);
  [[nodiscard]] std::size_t in_use() const;

 private:
  mutable std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace kpp::net
