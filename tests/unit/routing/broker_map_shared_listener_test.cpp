// routing: sni in the broker map: every broker is served and advertised on the one shared
// listener, the map never binds or closes a port for a broker, and a broker that joins (or
// leaves) needs no port at all.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <vector>

#include "kpp/routing/broker_map.h"

namespace kpp::routing {
namespace {

using namespace std::chrono_literals;

class counting_binder : public listener_binder {
 public:
  std::error_code bind(const broker_route&) override {
    ++binds;
    return {};
  }
  void unbind(const broker_route&) override { ++unbinds; }
  int binds = 0;
  int unbinds = 0;
};

map_settings sni_settings() {
  map_settings s;
  s.advertised_host = host_template::parse("b{node_id}.kafka.example.com", nullptr).value();
  s.shared_listener = host_port{"0.0.0.0", 9093};
  s.range.base = 0;  // no broker port range at all
  return s;
}

TEST(BrokerMapSharedListener, EveryBrokerIsAdvertisedOnTheSharedPortWithoutABind) {
  counting_binder binder;
  std::vector<broker_route> added;
  map_events ev;
  ev.added = [&](const broker_route& r) { added.push_back(r); };
  broker_map map(sni_settings(), binder, ev);
  for (std::int32_t id : {0, 1, 2, 4096}) {
    const auto r = map.ensure(id, {"10.0.0." + std::to_string(id % 250), 9092});
    ASSERT_TRUE(r.route) << r.error;
    EXPECT_EQ(r.route->listen, (host_port{"0.0.0.0", 9093}));
    EXPECT_EQ(r.route->advertised,
              (host_port{"b" + std::to_string(id) + ".kafka.example.com", 9093}));
  }
  EXPECT_EQ(binder.binds, 0);
  EXPECT_EQ(added.size(), 4u);
  const auto ports = map.port_assignments();
  ASSERT_EQ(ports.size(), 4u);
  for (const auto& [id, port] : ports) EXPECT_EQ(port, 9093) << id;
}

TEST(BrokerMapSharedListener, AFixedAdvertisedPortIsKept) {
  counting_binder binder;
  auto s = sni_settings();
  s.advertised_port = 443;  // an ingress on 443 in front of the proxy's 9093
  broker_map map(std::move(s), binder);
  const auto r = map.ensure(3, {"10.0.0.3", 9092});
  ASSERT_TRUE(r.route);
  EXPECT_EQ(r.route->advertised, (host_port{"b3.kafka.example.com", 443}));
}

TEST(BrokerMapSharedListener, RetiringABrokerClosesNoListener) {
  counting_binder binder;
  broker_map map(sni_settings(), binder);
  ASSERT_TRUE(map.ensure(1, {"10.0.0.1", 9092}).route);
  ASSERT_TRUE(map.ensure(2, {"10.0.0.2", 9092}).route);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(map.retire_absent({1}, 1s, t0).empty());
  EXPECT_EQ(map.retire_absent({1}, 1s, t0 + 2s), std::vector<std::int32_t>{2});
  EXPECT_EQ(binder.unbinds, 0);
  EXPECT_FALSE(map.find(2));
  EXPECT_TRUE(map.find(1));
}

TEST(BrokerMapSharedListener, TheMapperRewritesToTheSharedPort) {
  counting_binder binder;
  broker_map map(sni_settings(), binder);
  auto mapper = map.mapper();
  const auto got = mapper({7, "10.0.0.7", 9092});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->host, "b7.kafka.example.com");
  EXPECT_EQ(got->port, 9093);
}

TEST(BrokerMapSharedListener, MaxBrokersStillBoundsTheMap) {
  counting_binder binder;
  auto s = sni_settings();
  s.max_brokers = 2;
  broker_map map(std::move(s), binder);
  ASSERT_TRUE(map.ensure(1, {"10.0.0.1", 9092}).route);
  ASSERT_TRUE(map.ensure(2, {"10.0.0.2", 9092}).route);
  const auto r = map.ensure(3, {"10.0.0.3", 9092});
  ASSERT_FALSE(r.route);
  EXPECT_EQ(r.reason, refusal::too_many_brokers);
  EXPECT_NE(r.error.find("brokers.max_brokers (2)"), std::string::npos) << r.error;
  EXPECT_TRUE(map.ensure(2, {"10.0.0.2", 9092}).route);  // known brokers keep their route
}

}  // namespace
}  // namespace kpp::routing
