#include "kpp/net/silent_connections.h"

#include <utility>

namespace kpp::net {

silent_connections::entry silent_connections::add(evict_fn evict) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  waiting_.emplace(id, std::move(evict));
  return entry(*this, id);
}

bool silent_connections::evict_oldest() {
  evict_fn evict;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) return false;
    evict = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
  }
  evict();
  return true;
}

std::size_t silent_connections::size() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

void silent_connections::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  waiting_.erase(id);
}

}  // namespace kpp::net
