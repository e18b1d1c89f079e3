// The registry of connections that have not spoken yet: eviction takes the oldest, and an
// entry that goes away (the connection spoke or closed) is never evicted.
#include "kpp/net/silent_connections.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace {

using kpp::net::silent_connections;

TEST(SilentConnections, EvictsTheOldestFirst) {
  silent_connections s;
  std::vector<int> evicted;
  auto a = s.add([&] { evicted.push_back(1); });
  auto b = s.add([&] { evicted.push_back(2); });
  auto c = s.add([&] { evicted.push_back(3); });
  EXPECT_TRUE(s.evict_oldest());
  EXPECT_TRUE(s.evict_oldest());
  EXPECT_EQ(evicted, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.size(), 1u);
}

TEST(SilentConnections, AConnectionThatSpokeIsNotEvicted) {
  silent_connections s;
  int evicted = 0;
  {
    auto spoke = s.add([&] { ++evicted; });
  }
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.evict_oldest());
  EXPECT_EQ(evicted, 0);
}

TEST(SilentConnections, AnEvictedEntryCanStillBeDestroyed) {
  silent_connections s;
  std::optional<silent_connections::entry> e;
  e.emplace(s.add([] {}));
  EXPECT_TRUE(s.evict_oldest());
  e.reset();  // removing an id that is already gone is harmless
  EXPECT_EQ(s.size(), 0u);
}

}  // namespace
