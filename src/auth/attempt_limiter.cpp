#include "kpp/auth/attempt_limiter.h"

#include <algorithm>

namespace kpp::auth {

attempt_limiter::attempt_limiter(attempt_limiter_config cfg) : cfg_(cfg) {
  cfg_.max_sources = std::max<std::size_t>(cfg_.max_sources, 1);
}

std::chrono::milliseconds attempt_limiter::record_failure(std::string_view source,
                                                          clock::time_point now) {
  auto it = by_source_.find(std::string(source));
  if (it == by_source_.end()) {
    if (by_source_.size() >= cfg_.max_sources) {
      by_source_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(source);
    it = by_source_.emplace(lru_.front(), entry{0, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.order);
    if (now - it->second.last >= cfg_.forget_after) it->second.failures = 0;
  }
  entry& e = it->second;
  e.last = now;
  if (e.failures < 64) ++e.failures;  // past the cap the count no longer matters
  // initial * 2^(failures-1), capped; the shift stays small enough not to overflow.
  auto delay = cfg_.initial_delay;
  for (unsigned i = 1; i < e.failures && delay < cfg_.max_delay; ++i) delay *= 2;
  return std::min(delay, cfg_.max_delay);
}

void attempt_limiter::record_success(std::string_view source) {
  const auto it = by_source_.find(std::string(source));
  if (it == by_source_.end()) return;
  lru_.erase(it->second.order);
  by_source_.erase(it);
}

unsigned attempt_limiter::failures(std::string_view source, clock::time_point now) const {
  const auto it = by_source_.find(std::string(source));
  if (it == by_source_.end() || now - it->second.last >= cfg_.forget_after) return 0;
  return it->second.failures;
}

}  // namespace kpp::auth
