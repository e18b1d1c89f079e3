// The map fingerprint replicas export: equal maps hash equal whatever the order or the
// upstream addresses; any change clients would see changes it.
#include "kpp/routing/map_hash.h"

#include <gtest/gtest.h>

#include <vector>

namespace kpp::routing {
namespace {

broker_route route(std::int32_t node, std::uint16_t port, std::string upstream = "10.0.0.1") {
  broker_route r;
  r.node_id = node;
  r.upstream = host_port{std::move(upstream), 9092};
  r.listen = {"0.0.0.0", port};
  r.advertised = {"b" + std::to_string(node) + ".example.com", port};
  return r;
}

TEST(MapHash, EmptyIsZero) {
  EXPECT_EQ(map_hash({}), 0u);
}

TEST(MapHash, OrderAndUpstreamDoNotMatter) {
  std::vector<broker_route> a{route(1, 30001), route(2, 30002)};
  std::vector<broker_route> b{route(2, 30002, "10.9.9.9"), route(1, 30001, "10.8.8.8")};
  EXPECT_EQ(map_hash(a), map_hash(b));
  EXPECT_NE(map_hash(a), 0u);
  EXPECT_LT(map_hash(a), std::uint64_t{1} << 52);
}

TEST(MapHash, WhatClientsSeeChangesIt) {
  std::vector<broker_route> base{route(1, 30001), route(2, 30002)};
  auto swapped = base;
  swapped[0].listen.port = 30002;
  swapped[0].advertised.port = 30002;
  swapped[1].listen.port = 30001;
  swapped[1].advertised.port = 30001;
  EXPECT_NE(map_hash(base), map_hash(swapped));
  auto renamed = base;
  renamed[1].advertised.host = "other.example.com";
  EXPECT_NE(map_hash(base), map_hash(renamed));
  auto fewer = base;
  fewer.pop_back();
  EXPECT_NE(map_hash(base), map_hash(fewer));
}

}  // namespace
}  // namespace kpp::routing
