// KIP-368 re-authentication point: 85-95% of the broker's session lifetime.
#include "kpp/auth/reauthentication.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace kpp::auth {
namespace {

using std::chrono::milliseconds;

TEST(Reauthentication, NoLifetimeMeansNever) {
  EXPECT_EQ(reauthentication_delay(0, 0.5), std::nullopt);
  EXPECT_EQ(reauthentication_delay(-1, 0.5), std::nullopt);
}

TEST(Reauthentication, WindowIs85To95Percent) {
  EXPECT_EQ(reauthentication_delay(10'000, 0.0), milliseconds(8'500));
  EXPECT_EQ(reauthentication_delay(10'000, 1.0), milliseconds(9'500));
  EXPECT_EQ(reauthentication_delay(10'000, 0.5), milliseconds(9'000));
  EXPECT_EQ(reauthentication_delay(10'000, -3.0), milliseconds(8'500));
  EXPECT_EQ(reauthentication_delay(10'000, 7.0), milliseconds(9'500));
  EXPECT_EQ(reauthentication_delay(10'000, std::numeric_limits<double>::quiet_NaN()),
            milliseconds(8'500));
  // A long lifetime stays below itself.
  const auto year = std::int64_t{365} * 24 * 3600 * 1000;
  EXPECT_LT(*reauthentication_delay(year, 1.0), milliseconds(year));
}

TEST(Reauthentication, PlanGivesUpAtExpiryPlusGrace) {
  EXPECT_EQ(plan_reauthentication(0, 0.5, milliseconds(3'000)), std::nullopt);
  const auto p = plan_reauthentication(1'500, 0.0, milliseconds(3'000));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->due, milliseconds(1'275));
  EXPECT_EQ(p->give_up, milliseconds(4'500));
  // No grace: the answers owed must be back by the expiry itself.
  const auto tight = plan_reauthentication(10'000, 1.0, milliseconds(-5));
  ASSERT_TRUE(tight);
  EXPECT_EQ(tight->due, milliseconds(9'500));
  EXPECT_EQ(tight->give_up, milliseconds(10'000));
  // A lifetime near the type's end does not wrap around.
  const auto huge = plan_reauthentication(std::numeric_limits<std::int64_t>::max() - 10, 0.0,
                                          milliseconds(1'000));
  ASSERT_TRUE(huge);
  EXPECT_GT(huge->give_up, huge->due);
  // Long.MAX_VALUE ("never") counts as 2^31 ms, so now() + give_up fits steady_clock.
  EXPECT_EQ(huge->give_up, milliseconds(max_session_lifetime_ms + 1'000));
  const auto deadline = std::chrono::steady_clock::now() + huge->give_up;
  EXPECT_GT(deadline, std::chrono::steady_clock::now());
  const auto absurd_grace = plan_reauthentication(1'000, 0.0, milliseconds::max());
  ASSERT_TRUE(absurd_grace);
  EXPECT_EQ(absurd_grace->give_up, milliseconds(1'000 + max_session_lifetime_ms));
}

}  // namespace
}  // namespace kpp::auth
