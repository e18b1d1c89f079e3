#include "kpp/net/memory_budget.h"

#include <algorithm>
#include <utility>

namespace kpp::net {

bool memory_budget::acquire_or_wait(std::size_t n, std::size_t limit, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (in_use_ == 0 || (in_use_ <= limit && n <= limit - in_use_)) {
    in_use_ += n;
    return true;
  }
  waiters_.push_back(std::move(wake));
  return false;
}

void memory_budget::release(std::size_t n) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    in_use_ -= std::min(n, in_use_);
    wake.swap(waiters_);
  }
  // Every waiter tries again; those that still do not fit register anew.
  for (auto& w : wake) w();
}

std::size_t memory_budget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

}  // namespace kpp::net
