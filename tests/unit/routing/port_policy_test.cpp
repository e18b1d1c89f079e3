// Port arithmetic: node-id policy (port = base + node id - offset, same on every replica) and
// sequential first free port. Range edges, 16-bit limits and the explanation on refusal.
#include "kpp/routing/port_policy.h"

#include <gtest/gtest.h>

#include <climits>
#include <optional>
#include <string>

namespace kpp::routing {
namespace {

struct node_id_case {
  std::uint16_t base;
  std::int32_t offset;
  std::uint32_t size;
  std::int32_t node_id;
  std::optional<std::uint16_t> want;
};

class NodeIdPort : public ::testing::TestWithParam<node_id_case> {};

TEST_P(NodeIdPort, MapsOrRefuses) {
  const auto& c = GetParam();
  std::string why;
  const auto port = node_id_port(port_range{c.base, c.offset, c.size}, c.node_id, &why);
  EXPECT_EQ(port, c.want) << "base " << c.base << " offset " << c.offset << " size " << c.size
                          << " node " << c.node_id << ": " << why;
  if (port) {
    EXPECT_TRUE(why.empty()) << why;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, NodeIdPort,
    ::testing::Values(node_id_case{9100, 0, 100, 0, 9100},  // base
                      node_id_case{9100, 0, 100, 1, 9101},
                      node_id_case{9100, 0, 100, 99, 9199},           // base + size - 1
                      node_id_case{9100, 0, 100, 100, std::nullopt},  // one above
                      node_id_case{9100, 0, 100, -1, std::nullopt},   // one below
                      node_id_case{9100, 1, 100, 1, 9100},            // ids from 1
                      node_id_case{9100, 1, 100, 0, std::nullopt},    // below the offset
                      node_id_case{9100, 1, 100, 100, 9199},
                      node_id_case{9100, 1000, 10, 1000, 9100},  // ids not starting at 0/1
                      node_id_case{9100, 1000, 10, 1009, 9109},
                      node_id_case{9100, 1000, 10, 1010, std::nullopt},
                      node_id_case{9100, 1000, 10, 3, std::nullopt},  // negative after the offset
                      node_id_case{9100, 0, 0, 56435, 65535},         // size 0: up to 65535
                      node_id_case{9100, 0, 0, 56436, std::nullopt},  // 65536 does not exist
                      node_id_case{65530, 0, 100, 5, 65535},          // range past 65535 is clamped
                      node_id_case{65530, 0, 100, 6, std::nullopt},
                      node_id_case{1, 0, 0, INT_MAX, std::nullopt},  // no 16-bit wrap
                      node_id_case{9100, INT_MIN, 0, INT_MAX, std::nullopt},
                      node_id_case{9100, INT_MAX, 0, INT_MIN, std::nullopt}));

TEST(NodeIdPortWhy, NamesNodePortFormulaRangeAndSettings) {
  std::string why;
  ASSERT_FALSE(node_id_port(port_range{9100, 1000, 10}, 1010, &why));
  for (const char* piece : {"broker 1010", "port 9110", "[9100, 9110)", "brokers.base_port",
                            "brokers.node_id_offset", "brokers.port_range"})
    EXPECT_NE(why.find(piece), std::string::npos) << piece << " missing in: " << why;
}

TEST(NodeIdPortWhy, NegativePortIsShownAsComputed) {
  std::string why;
  ASSERT_FALSE(node_id_port(port_range{100, 1000, 10}, 0, &why));
  EXPECT_NE(why.find("port -900"), std::string::npos) << why;
}

TEST(NodeIdPortWhy, NullWhyIsAllowed) {
  EXPECT_FALSE(node_id_port(port_range{9100, 0, 1}, 1, nullptr));
  EXPECT_EQ(node_id_port(port_range{9100, 0, 1}, 0, nullptr), 9100);
}

struct sequential_case {
  std::uint16_t base;
  std::uint32_t size;
  std::set<std::uint16_t> taken;
  std::optional<std::uint16_t> want;
};

class SequentialPort : public ::testing::TestWithParam<sequential_case> {};

TEST_P(SequentialPort, LowestFreePortInRange) {
  const auto& c = GetParam();
  std::string why;
  EXPECT_EQ(next_sequential_port(port_range{c.base, 0, c.size}, c.taken, &why), c.want) << why;
}

INSTANTIATE_TEST_SUITE_P(
    Table, SequentialPort,
    ::testing::Values(sequential_case{9100, 3, {}, 9100}, sequential_case{9100, 3, {9100}, 9101},
                      sequential_case{9100, 3, {9101}, 9100},  // a hole is reused first
                      sequential_case{9100, 3, {9100, 9102}, 9101},
                      sequential_case{9100, 3, {9100, 9101, 9102}, std::nullopt},
                      sequential_case{9100, 3, {9099, 9103}, 9100},  // outside ports do not count
                      sequential_case{65535, 0, {}, 65535},
                      sequential_case{65535, 0, {65535}, std::nullopt},  // never wraps to 0
                      sequential_case{65534, 10, {65534, 65535}, std::nullopt}));

TEST(SequentialPortWhy, NamesRangeAndSettings) {
  std::string why;
  ASSERT_FALSE(next_sequential_port(port_range{9100, 0, 2}, {9100, 9101}, &why));
  for (const char* piece : {"[9100, 9102)", "brokers.port_range", "--dynamic-sequential-max-ports"})
    EXPECT_NE(why.find(piece), std::string::npos) << piece << " missing in: " << why;
}

}  // namespace
}  // namespace kpp::routing
