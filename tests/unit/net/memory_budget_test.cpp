#include "kpp/net/memory_budget.h"

#include <gtest/gtest.h>

namespace {

using kpp::net::memory_budget;

TEST(MemoryBudget, TakesWhatFitsAndMakesTheRestWait) {
  memory_budget b;
  int woken = 0;
  EXPECT_TRUE(b.acquire_or_wait(60, 100, [&] { ++woken; }));
  EXPECT_FALSE(b.acquire_or_wait(50, 100, [&] { ++woken; }));
  EXPECT_EQ(b.in_use(), 60u);
  EXPECT_TRUE(b.acquire_or_wait(40, 100, [&] { ++woken; }));
  b.release(40);
  EXPECT_EQ(woken, 1);  // the waiter is told once
  b.release(60);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(b.in_use(), 0u);
  EXPECT_TRUE(b.acquire_or_wait(50, 100, [&] { ++woken; }));
}

TEST(MemoryBudget, OneFrameLargerThanTheBudgetPassesAlone) {
  memory_budget b;
  EXPECT_TRUE(b.acquire_or_wait(500, 100, [] {}));
  EXPECT_FALSE(b.acquire_or_wait(1, 100, [] {}));
  b.release(500);
  EXPECT_TRUE(b.acquire_or_wait(1, 100, [] {}));
}

}  // namespace
