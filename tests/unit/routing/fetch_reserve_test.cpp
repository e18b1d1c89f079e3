// The reserve a streamed flexible Fetch response is announced with, from the broker map.
#include "kpp/routing/fetch_reserve.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kpp::routing {
namespace {

broker_route route(std::int32_t node, std::optional<std::string> upstream, std::string advertised) {
  broker_route r;
  r.node_id = node;
  if (upstream) r.upstream = host_port{*upstream, 9092};
  r.advertised = host_port{std::move(advertised), static_cast<std::uint16_t>(30000 + node)};
  return r;
}

TEST(FetchReserve, GrowthPerBrokerTimesBrokers) {
  // Longest advertised 40, shortest upstream 10: 3 brokers x (30 + 1) + 8 = 101.
  const std::vector<broker_route> routes = {
      route(1, "10.0.0.1.x", std::string(40, 'a')),
      route(2, "10.0.0.22.xy", std::string(20, 'b')),
      route(3, "broker-3.internal.example", std::string(12, 'c')),
  };
  EXPECT_EQ(fetch_tail_reserve(routes), 101u);
}

TEST(FetchReserve, ShorterAdvertisedHostsGetTheFloor) {
  const std::vector<broker_route> routes = {
      route(1, "b-1.cluster.kafka.us-east-1.amazonaws.com", "b1.px"),
      route(2, "b-2.cluster.kafka.us-east-1.amazonaws.com", "b2.px"),
  };
  // 2 x (0 + 1) + 8 = 10, below the floor.
  EXPECT_EQ(fetch_tail_reserve(routes), fetch_reserve_floor);
  EXPECT_EQ(fetch_tail_reserve({}), fetch_reserve_floor);
}

TEST(FetchReserve, UnknownUpstreamCountsAsEmpty) {
  // Node 2's upstream is not known yet: shortest upstream 0, growth 30 per broker:
  // 2 x 31 + 8 = 70.
  const std::vector<broker_route> routes = {route(1, "up1.example", std::string(30, 'a')),
                                            route(2, std::nullopt, "b2.px")};
  EXPECT_EQ(fetch_tail_reserve(routes), 70u);
}

TEST(FetchReserve, CappedForHugeMaps) {
  std::vector<broker_route> routes;
  for (int i = 0; i < 2000; ++i) routes.push_back(route(i, "u", std::string(200, 'a')));
  EXPECT_EQ(fetch_tail_reserve(routes), fetch_reserve_cap);
}

}  // namespace
}  // namespace kpp::routing
