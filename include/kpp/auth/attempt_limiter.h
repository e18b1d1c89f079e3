// Brute-force brake for client logins: after each failed attempt from a source address, the
// answer to it is delayed, 100 ms doubling up to 10 s; a success resets the source. Memory
// is bounded: at most max_sources are tracked, the least recently failed forgotten first,
// and a source idle for forget_after starts over. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kpp::auth {

struct attempt_limiter_config {
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{10'000};
  std::chrono::milliseconds forget_after{600'000};
  std::size_t max_sources = 4096;
};

class attempt_limiter {
 public:
  using clock = std::chrono::steady_clock;

  explicit attempt_limiter(attempt_limiter_config cfg = {});

  // Records a failure from `source` at `now`; returns how long to wait before answering it.
  std::chrono::milliseconds record_failure(std::string_view source, clock::time_point now);
  // A successful login: the source starts over.
  void record_success(std::string_view source);
  // Failures counted for `source` (0 when unknown or forgotten by `now`).
  [[nodiscard]] unsigned failures(std::string_view source, clock::time_point now) const;
  [[nodiscard]] std::size_t tracked() const noexcept { return by_source_.size(); }

 private:
  struct entry {
    unsigned failures = 0;
    clock::time_point last{};
    std::list<std::string>::iterator order;  // position in lru_ (front = most recent)
  };
  attempt_limiter_config cfg_;
  std::list<std::string> lru_;
  std::unordered_map<std::string, entry> by_source_;
};

}  // namespace kpp::auth
