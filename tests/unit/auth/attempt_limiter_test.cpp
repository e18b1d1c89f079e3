// Failed-login brake: doubling delay with a cap, reset on success, forgetting, bounded memory.
#include "kpp/auth/attempt_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace kpp::auth {
namespace {

using std::chrono::milliseconds;
using clock = attempt_limiter::clock;

TEST(AttemptLimiter, DoublesUpToTheCap) {
  attempt_limiter lim;
  const auto t = clock::time_point{} + std::chrono::hours(1);
  const long expected[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};
  for (long e : expected) EXPECT_EQ(lim.record_failure("10.0.0.1", t), milliseconds(e));
  // Many more failures never overflow past the cap.
  for (int i = 0; i < 200; ++i) EXPECT_EQ(lim.record_failure("10.0.0.1", t), milliseconds(10000));
  // Another source is independent.
  EXPECT_EQ(lim.record_failure("10.0.0.2", t), milliseconds(100));
}

TEST(AttemptLimiter, SuccessResets) {
  attempt_limiter lim;
  const auto t = clock::time_point{};
  (void)lim.record_failure("a", t);
  (void)lim.record_failure("a", t);
  EXPECT_EQ(lim.failures("a", t), 2u);
  lim.record_success("a");
  EXPECT_EQ(lim.failures("a", t), 0u);
  EXPECT_EQ(lim.tracked(), 0u);
  EXPECT_EQ(lim.record_failure("a", t), milliseconds(100));
  lim.record_success("never-failed");  // harmless
}

TEST(AttemptLimiter, ForgetsAnIdleSource) {
  attempt_limiter lim{{milliseconds(100), milliseconds(10000), milliseconds(60000), 16}};
  const auto t = clock::time_point{};
  (void)lim.record_failure("a", t);
  EXPECT_EQ(lim.record_failure("a", t + milliseconds(59999)), milliseconds(200));
  EXPECT_EQ(lim.failures("a", t + milliseconds(59999) + milliseconds(60000)), 0u);
  EXPECT_EQ(lim.record_failure("a", t + milliseconds(59999) + milliseconds(60000)),
            milliseconds(100));
}

TEST(AttemptLimiter, MemoryIsBoundedByEvictingTheLeastRecent) {
  attempt_limiter lim{{milliseconds(100), milliseconds(10000), milliseconds(60000), 3}};
  const auto t = clock::time_point{};
  (void)lim.record_failure("a", t);
  (void)lim.record_failure("a", t);
  (void)lim.record_failure("b", t);
  (void)lim.record_failure("c", t);
  (void)lim.record_failure("a", t);  // a is now the most recent
  (void)lim.record_failure("d", t);  // evicts b
  EXPECT_EQ(lim.tracked(), 3u);
  EXPECT_EQ(lim.failures("a", t), 3u);
  EXPECT_EQ(lim.failures("b", t), 0u);
  EXPECT_EQ(lim.failures("c", t), 1u);
  for (int i = 0; i < 1000; ++i) (void)lim.record_failure(std::to_string(i), t);
  EXPECT_EQ(lim.tracked(), 3u);
}

}  // namespace
}  // namespace kpp::auth
