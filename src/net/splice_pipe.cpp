#include "kpp/net/splice_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace kpp::net {

namespace {

// Like HAProxy's maxpipes: enough for the connections that move large bodies at one time;
// past it a pump copies through its buffer, which is only slower.
constexpr std::size_t max_alive = 1024;
constexpr std::size_t max_pooled = 64;

struct pool {
  pool() { idle.reserve(max_pooled); }  // release() must not allocate
  std::mutex mutex;
  std::vector<splice_pipe> idle;
};

pool& the_pool() {
  static pool* p = new pool;  // never destroyed: pumps may release during static teardown
  return *p;
}

std::atomic<std::size_t> alive_count{0};

}  // namespace

splice_pipe::~splice_pipe() {
  close();
}

splice_pipe::splice_pipe(splice_pipe&& other) noexcept
    : read_(other.read_), write_(other.write_), capacity_(other.capacity_) {
  other.read_ = other.write_ = -1;
}

splice_pipe& splice_pipe::operator=(splice_pipe&& other) noexcept {
  if (this != &other) {
    close();
    read_ = other.read_;
    write_ = other.write_;
    capacity_ = other.capacity_;
    other.read_ = other.write_ = -1;
  }
  return *this;
}

void splice_pipe::close() noexcept {
  if (read_ < 0) return;
  ::close(read_);
  ::close(write_);
  read_ = write_ = -1;
  alive_count.fetch_sub(1, std::memory_order_relaxed);
}

std::optional<splice_pipe> splice_pipe::acquire() {
  auto& p = the_pool();
  {
    std::lock_guard lock(p.mutex);
    if (!p.idle.empty()) {
      auto pipe = std::move(p.idle.back());
      p.idle.pop_back();
      return pipe;
    }
  }
  if (alive_count.fetch_add(1, std::memory_order_relaxed) >= max_alive) {
    alive_count.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    alive_count.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  const int size = ::fcntl(fds[1], F_GETPIPE_SZ);
  return splice_pipe(fds[0], fds[1], size > 0 ? static_cast<std::size_t>(size) : 65536);
}

void splice_pipe::release(std::size_t holds) noexcept {
  if (read_ < 0) return;
  if (holds == 0) {
    auto& p = the_pool();
    std::lock_guard lock(p.mutex);
    if (p.idle.size() < max_pooled) {
      p.idle.push_back(std::move(*this));
      return;
    }
  }
  close();  // bytes left in it belong to a frame that will not be finished
}

std::size_t splice_pipe::alive() noexcept {
  return alive_count.load(std::memory_order_relaxed);
}

}  // namespace kpp::net
