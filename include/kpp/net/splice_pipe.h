// The kernel pipe that splice(2) moves a pass-through body through (socket -> pipe -> socket),
// so its bytes are never copied to user space. Pipes cost two descriptors each, so they come
// from a process-wide pool with a cap: a pump holds one only while it splices a body, and past
// the cap it falls back to its buffer.
#pragma once

#include <cstddef>
#include <optional>

namespace kpp::net {

class splice_pipe {
 public:
  splice_pipe() = default;
  ~splice_pipe();
  splice_pipe(splice_pipe&& other) noexcept;
  splice_pipe& operator=(splice_pipe&& other) noexcept;
  splice_pipe(const splice_pipe&) = delete;
  splice_pipe& operator=(const splice_pipe&) = delete;

  // A pipe from the pool, or a new one; empty when the cap is reached or pipe2 fails.
  static std::optional<splice_pipe> acquire();
  // Back to the pool if it is empty (`holds` == 0); closed otherwise.
  void release(std::size_t holds) noexcept;

  [[nodiscard]] int read_end() const noexcept { return read_; }
  [[nodiscard]] int write_end() const noexcept { return write_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Pipes alive (held or pooled); for the cap and tests.
  static std::size_t alive() noexcept;

 private:
  splice_pipe(int r, int w, std::size_t capacity) : read_(r), write_(w), capacity_(capacity) {}
  void close() noexcept;

  int read_ = -1;
  int write_ = -1;
  std::size_t capacity_ = 0;
};

}  // namespace kpp::net
