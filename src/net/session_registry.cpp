#include "kpp/net/proxy_context.h"
#include "kpp/net/session.h"

namespace kpp::net {

std::uint64_t session_registry::add(const std::shared_ptr<session>& s) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  sessions_.emplace(id, s);
  return id;
}

void session_registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::size_t session_registry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void session_registry::for_each(
    const std::function<void(const std::shared_ptr<session>&)>& f) const {
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, w] : sessions_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) f(s);
}

}  // namespace kpp::net
