#include "kpp/admin/error_history.h"

namespace kpp::admin {

error_history::recent error_history::observe(clock::time_point now,
                                             const std::vector<std::uint64_t>& totals) {
  std::lock_guard lock(mu_);
  if (samples_.empty() || now - samples_.back().at >= spacing_ ||
      samples_.back().totals.size() != totals.size())
    samples_.push_back({now, totals});
  // Keep one sample older than the window as the baseline; drop what is older still.
  while (samples_.size() > 1 && now - samples_[1].at >= window_) samples_.pop_front();
  const auto& base = samples_.front();
  recent out;
  out.span = now - base.at;
  out.counts.resize(totals.size());
  for (std::size_t i = 0; i < totals.size(); ++i) {
    const auto before = i < base.totals.size() ? base.totals[i] : 0;
    out.counts[i] = totals[i] >= before ? totals[i] - before : 0;
  }
  return out;
}

}  // namespace kpp::admin
