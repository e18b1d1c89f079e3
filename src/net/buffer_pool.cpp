#include "kpp/net/buffer_pool.h"

#include <new>
#include <utility>

namespace kpp::net {
namespace {

// Per thread, per size class: sessions run on one io_context thread each, so no locking. A
// buffer released on another thread simply joins that thread's list.
struct free_list {
  std::size_t size = 0;
  std::vector<std::byte*> items;
  ~free_list() {
    for (auto* p : items) ::operator delete(p);
  }
};
constexpr std::size_t max_cached = 16;  // 1 MiB per thread at the default size
thread_local free_list cache;

}  // namespace

pooled_buffer::pooled_buffer(std::size_t size) : size_(size) {
  if (cache.size == size && !cache.items.empty()) {
    data_ = cache.items.back();
    cache.items.pop_back();
  } else {
    data_ = static_cast<std::byte*>(::operator new(size));
  }
}

pooled_buffer::~pooled_buffer() {
  release();
}

pooled_buffer::pooled_buffer(pooled_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

pooled_buffer& pooled_buffer::operator=(pooled_buffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void pooled_buffer::release() noexcept {
  if (!data_) return;
  if (cache.items.empty()) cache.size = size_;
  if (cache.size == size_ && cache.items.size() < max_cached) {
    cache.items.push_back(data_);
  } else {
    ::operator delete(data_);
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace kpp::net
