// Connections that have not sent their first bytes yet, oldest first. At limits.max_connections
// the listener closes the oldest of them to admit a new connection instead of refusing it, so
// a flood of silent connections cannot lock real clients out (each silent one is closed at
// timeouts.first_bytes anyway; this keeps the door open in the meantime). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace kpp::net {

class silent_connections {
 public:
  // Called (once, from the listener's thread) to close the connection; it must only post.
  using evict_fn = std::function<void()>;

  // Registered for as long as it lives.
  class entry {
   public:
    entry() = default;
    entry(silent_connections& owner, std::uint64_t id) : owner_(&owner), id_(id) {}
    entry(entry&& o) noexcept : owner_(o.owner_), id_(o.id_) { o.owner_ = nullptr; }
    entry& operator=(entry&&) = delete;
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;
    ~entry() {
      if (owner_) owner_->remove(id_);
    }

   private:
    silent_connections* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] entry add(evict_fn evict);
  // Closes the oldest silent connection; false when there is none.
  bool evict_oldest();
  [[nodiscard]] std::size_t size() const;

 private:
  void remove(std::uint64_t id);

  mutable std::mutex mutex_;
  std::map<std::uint64_t, evict_fn> waiting_;  // ids grow: the first is the oldest
  std::uint64_t next_id_ = 1;
};

}  // namespace kpp::net
