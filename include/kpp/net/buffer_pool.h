// Stream buffers are taken from a per-thread free list only while a pump moves bytes, and
// given back as soon as it has nothing buffered: an idle connection holds no buffer.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace kpp::net {

class pooled_buffer {
 public:
  pooled_buffer() = default;
  explicit pooled_buffer(std::size_t size);
  ~pooled_buffer();
  pooled_buffer(pooled_buffer&& other) noexcept;
  pooled_buffer& operator=(pooled_buffer&& other) noexcept;
  pooled_buffer(const pooled_buffer&) = delete;
  pooled_buffer& operator=(const pooled_buffer&) = delete;

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }
  void release() noexcept;  // back to this thread's free list

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace kpp::net
