// "Recent" error counts for the status page: counters are totals since start, so the page
// keeps a few timed samples of them (taken when the page is asked for, at most one per
// `spacing`) and shows the growth since the newest sample at least `window` old.
// Bounded: at most window / spacing + 2 samples are kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace kpp::admin {

class error_history {
 public:
  using clock = std::chrono::steady_clock;
  explicit error_history(clock::duration window = std::chrono::minutes(5),
                         clock::duration spacing = std::chrono::seconds(5))
      : window_(window), spacing_(spacing) {}

  struct recent {
    std::vector<std::uint64_t> counts;  // growth per entry of `totals`
    clock::duration span{};             // how far back the baseline is
  };
  // `totals` is one vector of counters, always in the same order and size. Thread-safe.
  recent observe(clock::time_point now, const std::vector<std::uint64_t>& totals);

 private:
  struct sample {
    clock::time_point at;
    std::vector<std::uint64_t> totals;
  };
  std::mutex mu_;
  clock::duration window_;
  clock::duration spacing_;
  std::deque<sample> samples_;
};

}  // namespace kpp::admin
