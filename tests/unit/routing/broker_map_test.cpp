// broker_map against a fake listener_binder: which port each broker gets under every policy,
// when a listener is (and is not) bound, what a refusal says, moves, retirement with a grace
// period, the sequential state file, and the mapper the rewrite path calls.
#include "kpp/routing/broker_map.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kpp::routing {
namespace {

using namespace std::chrono_literals;

// Records every bind/unbind; fails binds on chosen ports. `listening` is what would be open.
class fake_binder : public listener_binder {
 public:
  std::error_code bind(const broker_route& route) override {
    binds.push_back(route);
    if (fail_ports.contains(route.listen.port)) return fail_with;
    listening.insert(route.listen.port);
    return {};
  }
  void unbind(const broker_route& route) override {
    unbinds.push_back(route);
    listening.erase(route.listen.port);
  }
  std::vector<broker_route> binds;
  std::vector<broker_route> unbinds;
  std::set<std::uint16_t> listening;
  std::set<std::uint16_t> fail_ports;
  std::error_code fail_with = std::make_error_code(std::errc::address_in_use);
};

// What the events said, in order.
struct event_log {
  std::vector<broker_route> added;
  std::vector<std::pair<broker_route, host_port>> moved;
  std::vector<broker_route> removed;
  std::vector<std::pair<std::int32_t, std::string>> refused;
  std::vector<refusal> reasons;  // of each refusal, in order
  map_events events() {
    return {[this](const broker_route& r) { added.push_back(r); },
            [this](const broker_route& r, const host_port& old) { moved.emplace_back(r, old); },
            [this](const broker_route& r) { removed.push_back(r); },
            [this](std::int32_t n, const map_error& why) {
              refused.emplace_back(n, why.message);
              reasons.push_back(why.reason);
            }};
  }
};

host_template tmpl(const std::string& pattern) {
  return host_template::parse(pattern, nullptr).value();
}

map_settings node_id_settings(std::uint16_t base = 9100, std::int32_t offset = 0,
                              std::uint32_t size = 100) {
  map_settings s;
  s.policy = port_policy::node_id;
  s.listen_host = "127.0.0.1";
  s.range = {base, offset, size};
  s.advertised_host = tmpl("b{node_id}.px.example");
  return s;
}

map_settings sequential_settings(std::uint16_t base = 9100, std::uint32_t size = 10) {
  auto s = node_id_settings(base, 0, size);
  s.policy = port_policy::sequential;
  return s;
}

host_port up(std::int32_t node_id) {
  return {"10.0.0." + std::to_string(node_id), 9092};
}

bool contains(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

// ---- node-id arithmetic through the map ------------------------------------------------

struct node_case {
  std::int32_t offset;
  std::uint32_t size;
  std::int32_t node_id;
  std::optional<std::uint16_t> want;  // nullopt: refused
};

class BrokerMapNodeId : public ::testing::TestWithParam<node_case> {};

TEST_P(BrokerMapNodeId, PortIsBasePlusNodeIdMinusOffset) {
  const auto& c = GetParam();
  fake_binder binder;
  event_log log;
  broker_map map(node_id_settings(9100, c.offset, c.size), binder, log.events());
  const auto r = map.ensure(c.node_id, up(1));
  if (!c.want) {
    EXPECT_FALSE(r.route);
    EXPECT_TRUE(binder.binds.empty());
    ASSERT_EQ(log.refused.size(), 1u);
    EXPECT_EQ(log.refused[0].second, r.error);
    // A negative id is refused as such before any port arithmetic.
    const auto reason = c.node_id < 0 ? refusal::invalid_node_id : refusal::out_of_port_range;
    EXPECT_EQ(r.reason, reason);
    EXPECT_EQ(log.reasons[0], reason);
    if (c.node_id >= 0) {
      EXPECT_TRUE(contains(r.error, "brokers.base_port")) << r.error;
    }
    EXPECT_FALSE(map.find(c.node_id));
    return;
  }
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.route->listen, (host_port{"127.0.0.1", *c.want}));
  EXPECT_EQ(r.route->advertised,
            (host_port{"b" + std::to_string(c.node_id) + ".px.example", *c.want}));
  EXPECT_EQ(r.route->upstream, up(1));
  EXPECT_TRUE(r.route->local_listener);
  EXPECT_FALSE(r.route->configured_listener);
  ASSERT_EQ(binder.binds.size(), 1u);
  EXPECT_EQ(binder.binds[0], *r.route);
  ASSERT_EQ(log.added.size(), 1u);
  EXPECT_EQ(log.added[0], *r.route);
}

INSTANTIATE_TEST_SUITE_P(Table, BrokerMapNodeId,
                         ::testing::Values(node_case{0, 100, 0, 9100},   // base
                                           node_case{0, 100, 99, 9199},  // base + size - 1
                                           node_case{0, 100, 100, std::nullopt},
                                           node_case{0, 100, -1, std::nullopt},
                                           node_case{1, 3, 1, 9100}, node_case{1, 3, 3, 9102},
                                           node_case{1, 3, 4, std::nullopt},
                                           node_case{5000, 10, 4999, std::nullopt},  // < 0
                                           node_case{5000, 10, 5004, 9104},
                                           node_case{0, 0, 56435, 65535},  // 16-bit limit
                                           node_case{0, 0, 56436, std::nullopt}));

TEST(BrokerMap, NonContiguousIdsKeepTheirOwnPortsInAnyOrder) {
  fake_binder binder;
  broker_map map(node_id_settings(9100, 1000, 100), binder);
  for (std::int32_t id : {1042, 1001, 1007}) ASSERT_TRUE(map.ensure(id, up(id % 100)).route);
  const std::map<std::int32_t, std::uint16_t> want{{1001, 9101}, {1007, 9107}, {1042, 9142}};
  EXPECT_EQ(map.port_assignments(), want);
  // A second replica seeing the brokers in another order computes the same map.
  fake_binder binder2;
  broker_map replica(node_id_settings(9100, 1000, 100), binder2);
  for (std::int32_t id : {1007, 1042, 1001}) ASSERT_TRUE(replica.ensure(id, up(id % 100)).route);
  EXPECT_EQ(replica.port_assignments(), want);
}

TEST(BrokerMap, EnsureOfAKnownBrokerBindsOnce) {
  fake_binder binder;
  event_log log;
  broker_map map(node_id_settings(), binder, log.events());
  const auto a = map.ensure(3, up(3));
  const auto b = map.ensure(3, up(3));
  ASSERT_TRUE(a.route && b.route);
  EXPECT_EQ(*a.route, *b.route);
  EXPECT_EQ(binder.binds.size(), 1u);
  EXPECT_EQ(log.added.size(), 1u);
  EXPECT_TRUE(log.moved.empty());
}

// ---- sequential ----------------------------------------------------------------------------

TEST(BrokerMapSequential, FirstSeenOrderGetsConsecutivePorts) {
  fake_binder binder;
  broker_map map(sequential_settings(), binder);
  for (std::int32_t id : {7, 3, 11}) ASSERT_TRUE(map.ensure(id, up(id)).route);
  EXPECT_EQ(map.port_assignments(),
            (std::map<std::int32_t, std::uint16_t>{{7, 9100}, {3, 9101}, {11, 9102}}));
  ASSERT_TRUE(map.ensure(3, up(3)).route);
  EXPECT_EQ(binder.binds.size(), 3u);
}

TEST(BrokerMapSequential, StateMapIsReusedAndItsPortsAreNotHandedToNewBrokers) {
  fake_binder binder;
  auto s = sequential_settings();
  s.sequential_state = {{5, 9101}};  // from a previous run
  broker_map map(s, binder);
  EXPECT_EQ(map.ensure(9, up(9)).route->listen.port, 9100);
  EXPECT_EQ(map.ensure(4, up(4)).route->listen.port, 9102);  // 9101 belongs to broker 5
  EXPECT_EQ(map.ensure(5, up(5)).route->listen.port, 9101);
}

TEST(BrokerMapSequential, ARetiredBrokerComesBackOnItsOldPort) {
  fake_binder binder;
  broker_map map(sequential_settings(), binder);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(map.ensure(7, up(7)).route);
  ASSERT_TRUE(map.ensure(8, up(8)).route);
  map.retire_absent({8}, 1s, t0);
  ASSERT_EQ(map.retire_absent({8}, 1s, t0 + 2s), std::vector<std::int32_t>{7});
  // A newcomer does not take 7's remembered port, and 7 gets it back.
  EXPECT_EQ(map.ensure(9, up(9)).route->listen.port, 9102);
  EXPECT_EQ(map.ensure(7, up(7)).route->listen.port, 9100);
}

TEST(BrokerMapSequential, FullRangeIsRefusedWithTheSettingToRaise) {
  fake_binder binder;
  event_log log;
  broker_map map(sequential_settings(9100, 2), binder, log.events());
  ASSERT_TRUE(map.ensure(1, up(1)).route);
  ASSERT_TRUE(map.ensure(2, up(2)).route);
  const auto r = map.ensure(3, up(3));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "brokers.port_range")) << r.error;
  ASSERT_EQ(log.refused.size(), 1u);
  EXPECT_EQ(log.refused[0].first, 3);
}

// ---- static, mappings, external ----------------------------------------------------------

TEST(BrokerMapStatic, StaticNodeUsesItsPortAndAdvertisedAddress) {
  fake_binder binder;
  auto s = node_id_settings(9100, 0, 100);
  s.static_nodes = {{200, 9300, host_port{"b200.ext.example", 19300}}, {201, 9301, std::nullopt}};
  broker_map map(s, binder);
  const auto a = map.ensure(200, up(200));
  ASSERT_TRUE(a.route) << a.error;  // node 200 is outside the node-id range: static wins
  EXPECT_EQ(a.route->listen, (host_port{"127.0.0.1", 9300}));
  EXPECT_EQ(a.route->advertised, (host_port{"b200.ext.example", 19300}));
  const auto b = map.ensure(201, up(201));
  ASSERT_TRUE(b.route) << b.error;
  EXPECT_EQ(b.route->advertised, (host_port{"b201.px.example", 9301}));  // template, own port
  EXPECT_EQ(binder.binds.size(), 2u);
}

TEST(BrokerMapStatic, StaticPolicyRefusesUnlistedBrokersNamingTheSetting) {
  fake_binder binder;
  auto s = node_id_settings();
  s.policy = port_policy::static_only;
  s.static_nodes = {{1, 9300, std::nullopt}};
  broker_map map(s, binder);
  EXPECT_TRUE(map.ensure(1, up(1)).route);
  const auto r = map.ensure(2, up(2));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "broker 2")) << r.error;
  EXPECT_TRUE(contains(r.error, "brokers.static")) << r.error;
}

TEST(BrokerMapStatic, SetStaticNodesAppliesToBrokersSeenAfterwards) {
  fake_binder binder;
  auto s = node_id_settings();
  s.policy = port_policy::static_only;
  broker_map map(s, binder);
  EXPECT_FALSE(map.ensure(4, up(4)).route);
  map.set_static_nodes({{4, 9304, std::nullopt}});
  const auto r = map.ensure(4, up(4));
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_EQ(r.route->listen.port, 9304);
}

TEST(BrokerMapMappings, AddressMappingIsUsedWithoutBinding) {
  fake_binder binder;
  event_log log;
  auto s = node_id_settings();
  s.address_mappings = {{{"10.0.0.9", 9092}, {"0.0.0.0", 9093}, {"b9.ext.example", 9093}}};
  broker_map map(s, binder, log.events());
  const auto r = map.ensure(9, {"10.0.0.9", 9092});
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_EQ(r.route->listen, (host_port{"0.0.0.0", 9093}));
  EXPECT_EQ(r.route->advertised, (host_port{"b9.ext.example", 9093}));
  EXPECT_TRUE(r.route->configured_listener);
  EXPECT_TRUE(r.route->local_listener);
  EXPECT_TRUE(binder.binds.empty());  // bound at start by configuration
  EXPECT_EQ(map.port_assignments(), (std::map<std::int32_t, std::uint16_t>{{9, 9093}}));
}

TEST(BrokerMapMappings, AddressMappingPortIsNeverHandedToADynamicBroker) {
  fake_binder binder;
  auto s = node_id_settings(9090, 0, 10);
  s.address_mappings = {{{"10.0.0.9", 9092}, {"0.0.0.0", 9093}, {"b9.ext.example", 9093}}};
  broker_map map(s, binder);
  const auto r = map.ensure(3, up(3));  // 9090 + 3 = 9093
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "9093")) << r.error;
  EXPECT_TRUE(binder.binds.empty());
}

TEST(BrokerMapMappings, ExternalMappingHasNoListener) {
  fake_binder binder;
  auto s = node_id_settings();
  s.external_mappings = {{{"10.0.0.10", 9092}, {"kafka-10.example.com", 9092}}};
  broker_map map(s, binder);
  const auto r = map.ensure(10, {"10.0.0.10", 9092});
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_FALSE(r.route->local_listener);
  EXPECT_EQ(r.route->advertised, (host_port{"kafka-10.example.com", 9092}));
  EXPECT_TRUE(binder.binds.empty());
  EXPECT_TRUE(map.port_assignments().empty());
  // Retiring it must not try to close a listener it never had.
  const auto t0 = std::chrono::steady_clock::now();
  map.retire_absent({}, 0s, t0);
  EXPECT_EQ(map.retire_absent({}, 0s, t0 + 1s), std::vector<std::int32_t>{10});
  EXPECT_TRUE(binder.unbinds.empty());
}

TEST(BrokerMapMappings, MappingsMatchByUpstreamNotByNodeId) {
  fake_binder binder;
  auto s = node_id_settings();
  s.address_mappings = {{{"10.0.0.9", 9092}, {"0.0.0.0", 9093}, {"b9.ext.example", 9093}}};
  broker_map map(s, binder);
  const auto r = map.ensure(9, {"10.0.0.99", 9092});  // same id, other address: dynamic
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_EQ(r.route->listen.port, 9109);
  EXPECT_FALSE(r.route->configured_listener);
}

// ---- refusals --------------------------------------------------------------------------------

TEST(BrokerMapRefusal, DynamicListenersDisabledRefusesUnmappedBroker) {
  fake_binder binder;
  event_log log;
  auto s = node_id_settings();
  s.dynamic_listeners = false;
  s.address_mappings = {{{"10.0.0.9", 9092}, {"0.0.0.0", 9093}, {"b9.ext.example", 9093}}};
  broker_map map(s, binder, log.events());
  EXPECT_TRUE(map.ensure(9, {"10.0.0.9", 9092}).route);  // mapped: fine
  const auto r = map.ensure(2, up(2));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(binder.binds.empty());
  EXPECT_FALSE(map.find(2));
  EXPECT_TRUE(contains(r.error, "broker 2")) << r.error;
  EXPECT_TRUE(contains(r.error, up(2).str())) << r.error;
  ASSERT_EQ(log.refused.size(), 1u);
  EXPECT_EQ(log.refused[0], std::make_pair(2, r.error));
}

// The message must name what to change, as the other refusals do ("brokers.base_port"...):
// the key in the YAML file, and the grepplabs flag that set it.
TEST(BrokerMapRefusal, DynamicListenersDisabledMessageNamesTheSetting) {
  fake_binder binder;
  auto s = node_id_settings();
  s.dynamic_listeners = false;
  broker_map map(s, binder);
  const auto r = map.ensure(2, up(2));
  ASSERT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "brokers.dynamic_listeners")) << r.error;
  EXPECT_TRUE(contains(r.error, "brokers.mappings")) << r.error;
}

TEST(BrokerMapRefusal, ReservedPortCollisionIsRefusedAndNamesThePort) {
  fake_binder binder;
  event_log log;
  auto s = node_id_settings();
  s.reserved_ports = {9105};  // e.g. the admin endpoint
  broker_map map(s, binder, log.events());
  const auto r = map.ensure(5, up(5));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(binder.binds.empty());
  EXPECT_TRUE(contains(r.error, "broker 5")) << r.error;
  EXPECT_TRUE(contains(r.error, "9105")) << r.error;
  ASSERT_EQ(log.refused.size(), 1u);
  EXPECT_TRUE(map.ensure(6, up(6)).route);  // neighbours are unaffected
}

// "adjust the port policy settings" leaves the user to guess which key.
TEST(BrokerMapRefusal, ReservedPortCollisionMessageNamesTheSetting) {
  fake_binder binder;
  auto s = node_id_settings();
  s.reserved_ports = {9105};
  broker_map map(s, binder);
  const auto r = map.ensure(5, up(5));
  ASSERT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "brokers.base_port")) << r.error;
}

TEST(BrokerMapRefusal, StaticPortAlreadyTakenByAnotherBrokerIsRefused) {
  fake_binder binder;
  auto s = node_id_settings();
  s.static_nodes = {{200, 9105, std::nullopt}};  // config validation forbids this overlap
  broker_map map(s, binder);
  ASSERT_TRUE(map.ensure(5, up(5)).route);
  const auto r = map.ensure(200, up(200));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "9105")) << r.error;
  EXPECT_EQ(binder.binds.size(), 1u);
}

TEST(BrokerMapRefusal, BindFailureNamesNodeAndAddressAndLeaksNothing) {
  fake_binder binder;
  binder.fail_ports = {9101};
  event_log log;
  broker_map map(node_id_settings(), binder, log.events());
  const auto r = map.ensure(1, up(1));
  EXPECT_FALSE(r.route);
  EXPECT_TRUE(contains(r.error, "broker 1")) << r.error;
  EXPECT_TRUE(contains(r.error, "127.0.0.1:9101")) << r.error;
  EXPECT_TRUE(contains(r.error, binder.fail_with.message())) << r.error;
  EXPECT_FALSE(map.find(1));
  EXPECT_TRUE(map.port_assignments().empty());
  EXPECT_TRUE(log.added.empty());
  ASSERT_EQ(log.refused.size(), 1u);
  // Once the port is free the next sight of the broker binds it: nothing half-recorded.
  binder.fail_ports.clear();
  const auto again = map.ensure(1, up(1));
  ASSERT_TRUE(again.route) << again.error;
  EXPECT_EQ(again.route->listen.port, 9101);
  EXPECT_TRUE(binder.listening.contains(9101));
}

// ---- moves and retirement ------------------------------------------------------------------

TEST(BrokerMapMove, MovedBrokerKeepsItsPortAndFiresTheEvent) {
  fake_binder binder;
  event_log log;
  broker_map map(node_id_settings(), binder, log.events());
  const auto first = map.ensure(2, {"10.0.0.2", 9092});
  ASSERT_TRUE(first.route);
  const auto moved = map.ensure(2, {"10.0.0.22", 9093});
  ASSERT_TRUE(moved.route);
  EXPECT_EQ(moved.route->listen, first.route->listen);
  EXPECT_EQ(moved.route->advertised, first.route->advertised);
  EXPECT_EQ(map.upstream_of(2), (host_port{"10.0.0.22", 9093}));
  ASSERT_EQ(log.moved.size(), 1u);
  EXPECT_EQ(log.moved[0].second, (host_port{"10.0.0.2", 9092}));
  EXPECT_EQ(log.moved[0].first.upstream, (host_port{"10.0.0.22", 9093}));
  EXPECT_EQ(binder.binds.size(), 1u);
  EXPECT_TRUE(binder.unbinds.empty());
  map.ensure(2, {"10.0.0.22", 9093});  // same address again: no event
  EXPECT_EQ(log.moved.size(), 1u);
}

TEST(BrokerMapRetire, NotBeforeGraceThenUnbound) {
  fake_binder binder;
  event_log log;
  broker_map map(node_id_settings(), binder, log.events());
  ASSERT_TRUE(map.ensure(1, up(1)).route);
  ASSERT_TRUE(map.ensure(2, up(2)).route);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(map.retire_absent({1}, 5s, t0).empty());  // first seen absent
  EXPECT_TRUE(map.retire_absent({1}, 5s, t0 + 4999ms).empty());
  EXPECT_TRUE(binder.unbinds.empty());
  EXPECT_TRUE(map.find(2));
  EXPECT_EQ(map.retire_absent({1}, 5s, t0 + 5s), std::vector<std::int32_t>{2});
  ASSERT_EQ(binder.unbinds.size(), 1u);
  EXPECT_EQ(binder.unbinds[0].node_id, 2);
  EXPECT_EQ(binder.unbinds[0].listen.port, 9102);
  ASSERT_EQ(log.removed.size(), 1u);
  EXPECT_FALSE(map.find(2));
  EXPECT_FALSE(map.upstream_of(2));
  EXPECT_TRUE(map.find(1));
  // Its port is free again: the broker coming back binds anew.
  ASSERT_TRUE(map.ensure(2, up(2)).route);
  EXPECT_EQ(binder.binds.size(), 3u);
}

TEST(BrokerMapRetire, ReappearingResetsTheClock) {
  fake_binder binder;
  broker_map map(node_id_settings(), binder);
  ASSERT_TRUE(map.ensure(1, up(1)).route);
  const auto t0 = std::chrono::steady_clock::now();
  map.retire_absent({}, 5s, t0);
  map.retire_absent({1}, 5s, t0 + 3s);  // back in the metadata
  map.retire_absent({}, 5s, t0 + 4s);   // gone again: a new absence starts here
  EXPECT_TRUE(map.retire_absent({}, 5s, t0 + 8s).empty());
  EXPECT_EQ(map.retire_absent({}, 5s, t0 + 9s), std::vector<std::int32_t>{1});
}

TEST(BrokerMapRetire, EnsureAlsoResetsTheClock) {
  fake_binder binder;
  broker_map map(node_id_settings(), binder);
  ASSERT_TRUE(map.ensure(1, up(1)).route);
  const auto t0 = std::chrono::steady_clock::now();
  map.retire_absent({}, 5s, t0);
  ASSERT_TRUE(map.ensure(1, up(1)).route);  // a rewrite named it meanwhile
  map.retire_absent({}, 5s, t0 + 6s);
  EXPECT_TRUE(map.retire_absent({}, 5s, t0 + 10s).empty());
  EXPECT_TRUE(binder.unbinds.empty());
}

TEST(BrokerMapRetire, ConfiguredListenerIsForgottenButNotClosed) {
  fake_binder binder;
  auto s = node_id_settings(9090, 0, 10);
  s.address_mappings = {{{"10.0.0.9", 9092}, {"0.0.0.0", 9093}, {"b9.ext.example", 9093}}};
  broker_map map(s, binder);
  ASSERT_TRUE(map.ensure(9, {"10.0.0.9", 9092}).route);
  const auto t0 = std::chrono::steady_clock::now();
  map.retire_absent({}, 1s, t0);
  EXPECT_EQ(map.retire_absent({}, 1s, t0 + 1s), std::vector<std::int32_t>{9});
  EXPECT_TRUE(binder.unbinds.empty());  // the configured listener stays open
  // ... and its port stays reserved for it: broker 3 (9090 + 3) still may not take it.
  EXPECT_FALSE(map.ensure(3, up(3)).route);
  EXPECT_TRUE(binder.binds.empty());
}

// ---- state file ------------------------------------------------------------------------------

TEST(BrokerMapPreload, BindsStateFilePortsBeforeDiscovery) {
  fake_binder binder;
  event_log log;
  auto s = sequential_settings();
  s.sequential_state = {{1, 9101}, {2, 9100}};
  broker_map map(s, binder, log.events());
  EXPECT_TRUE(map.preload_state().empty());
  EXPECT_EQ(binder.listening, (std::set<std::uint16_t>{9100, 9101}));
  EXPECT_EQ(map.port_assignments(), (std::map<std::int32_t, std::uint16_t>{{1, 9101}, {2, 9100}}));
  EXPECT_FALSE(map.upstream_of(1));  // not known until discovery sees it
  EXPECT_EQ(map.find(1)->advertised, (host_port{"b1.px.example", 9101}));
  // Discovery: same port, no second bind, no "moved" for a first address.
  const auto r = map.ensure(1, up(1));
  ASSERT_TRUE(r.route);
  EXPECT_EQ(r.route->listen.port, 9101);
  EXPECT_EQ(map.upstream_of(1), up(1));
  EXPECT_EQ(binder.binds.size(), 2u);
  EXPECT_TRUE(log.moved.empty());
  EXPECT_EQ(map.ensure(3, up(3)).route->listen.port, 9102);
  EXPECT_TRUE(map.preload_state().empty());  // idempotent
  EXPECT_EQ(binder.binds.size(), 3u);
}

TEST(BrokerMapPreload, CollisionsAndBindFailuresAreReportedPerEntry) {
  fake_binder binder;
  binder.fail_ports = {9102};
  auto s = sequential_settings();
  s.reserved_ports = {9100};
  s.sequential_state = {{1, 9100}, {2, 9101}, {3, 9102}};
  broker_map map(s, binder);
  const auto errors = map.preload_state();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_TRUE(contains(errors[0].message, "broker 1") && contains(errors[0].message, "9100"))
      << errors[0].message;
  EXPECT_EQ(errors[0].reason, refusal::port_in_use);
  EXPECT_TRUE(contains(errors[1].message, "broker 3") &&
              contains(errors[1].message, "127.0.0.1:9102"))
      << errors[1].message;
  EXPECT_EQ(errors[1].reason, refusal::port_in_use);  // EADDRINUSE: another process has it
  EXPECT_EQ(map.port_assignments(), (std::map<std::int32_t, std::uint16_t>{{2, 9101}}));
}

TEST(BrokerMapPreload, NodeIdPolicyIgnoresTheStateFile) {
  fake_binder binder;
  auto s = node_id_settings();
  s.sequential_state = {{1, 9150}};
  broker_map map(s, binder);
  EXPECT_TRUE(map.preload_state().empty());
  EXPECT_TRUE(binder.binds.empty());
  EXPECT_EQ(map.ensure(1, up(1)).route->listen.port, 9101);
}

// ---- the mapper --------------------------------------------------------------------------------

TEST(BrokerMapMapper, NoCoordinatorEntryStaysAnError) {
  fake_binder binder;
  broker_map map(node_id_settings(), binder);
  auto mapper = map.mapper();
  EXPECT_EQ(mapper({-1, "", -1}), (protocol::advertised_endpoint{"", -1}));
  // Even if an upstream put a real address next to node -1, it must not reach the client.
  EXPECT_EQ(mapper({-1, "10.0.0.1", 9092}), (protocol::advertised_endpoint{"", -1}));
  EXPECT_TRUE(binder.binds.empty());
}

TEST(BrokerMapMapper, UnknownNodeIsBoundBeforeTheMapperReturns) {
  fake_binder binder;
  broker_map map(node_id_settings(), binder);
  auto mapper = map.mapper();
  const auto ep = mapper({4, "10.0.0.4", 9092});
  ASSERT_TRUE(ep);
  EXPECT_EQ(*ep, (protocol::advertised_endpoint{"b4.px.example", 9104}));
  EXPECT_TRUE(binder.listening.contains(9104));  // the client may dial it right away
  EXPECT_EQ(map.upstream_of(4), (host_port{"10.0.0.4", 9092}));
}

TEST(BrokerMapMapper, FixedAdvertisedPortIsHandedOut) {
  fake_binder binder;
  auto s = node_id_settings();
  s.advertised_port = 443;
  broker_map map(s, binder);
  EXPECT_EQ(map.mapper()({4, "10.0.0.4", 9092}),
            (protocol::advertised_endpoint{"b4.px.example", 443}));
  EXPECT_EQ(map.find(4)->listen.port, 9104);  // the listener stays on its own port
}

TEST(BrokerMapMapper, RefusalsAreNullopt) {
  fake_binder binder;
  binder.fail_ports = {9103};
  broker_map map(node_id_settings(9100, 0, 10), binder);
  auto mapper = map.mapper();
  EXPECT_FALSE(mapper({10, "10.0.0.10", 9092}));  // outside the range
  EXPECT_FALSE(mapper({3, "10.0.0.3", 9092}));    // bind failed
  EXPECT_FALSE(mapper({2, "", 9092}));            // no host
  EXPECT_FALSE(mapper({2, "10.0.0.2", 0}));       // no port
  EXPECT_FALSE(mapper({2, "10.0.0.2", -1}));
  EXPECT_FALSE(mapper({2, "10.0.0.2", 65536}));
  EXPECT_FALSE(map.find(2));
  EXPECT_EQ(binder.binds.size(), 1u);  // only the failed bind for 3
}

// ---- issue 14: typed refusals, negative ids, the broker cap, unbindable sequential ports ----

TEST(BrokerMapRefusal, ReasonsAreTypedNotWords) {
  fake_binder binder;
  event_log log;
  auto s = node_id_settings(9100, 0, 10);
  s.reserved_ports = {9102};
  broker_map map(s, binder, log.events());
  EXPECT_EQ(map.ensure(50, up(50)).reason, refusal::out_of_port_range);
  EXPECT_EQ(map.ensure(2, up(2)).reason, refusal::port_in_use);
  binder.fail_ports = {9103, 9104};
  EXPECT_EQ(map.ensure(3, up(3)).reason, refusal::port_in_use);  // another process has it
  binder.fail_with = std::make_error_code(std::errc::permission_denied);
  EXPECT_EQ(map.ensure(4, up(4)).reason, refusal::bind_failed);
  EXPECT_EQ(log.reasons, (std::vector<refusal>{refusal::out_of_port_range, refusal::port_in_use,
                                               refusal::port_in_use, refusal::bind_failed}));
  EXPECT_FALSE(map.ensure(1, up(1)).reason);
}

TEST(BrokerMapRefusal, NegativeNodeIdsAreNeverGivenAPortNorPersisted) {
  for (auto policy : {port_policy::node_id, port_policy::sequential}) {
    fake_binder binder;
    event_log log;
    auto s = sequential_settings();
    s.policy = policy;
    s.range.node_id_offset = -10;  // node-id policy: -5 would map into the range
    broker_map map(s, binder, log.events());
    const auto r = map.ensure(-5, up(5));
    EXPECT_FALSE(r.route);
    EXPECT_EQ(r.reason, refusal::invalid_node_id);
    EXPECT_TRUE(contains(r.error, "-5")) << r.error;
    EXPECT_TRUE(binder.binds.empty());
    EXPECT_TRUE(map.port_assignments().empty());  // what the state file is written from
    EXPECT_FALSE(map.find(-5));
    EXPECT_EQ(log.reasons, std::vector<refusal>{refusal::invalid_node_id});
  }
}

TEST(BrokerMapRefusal, BrokersBeyondMaxBrokersAreRefused) {
  fake_binder binder;
  event_log log;
  auto s = node_id_settings(9100, 0, 100);
  s.max_brokers = 3;
  broker_map map(s, binder, log.events());
  for (std::int32_t id : {1, 2, 3}) ASSERT_TRUE(map.ensure(id, up(id)).route);
  const auto r = map.ensure(4, up(4));
  EXPECT_FALSE(r.route);
  EXPECT_EQ(r.reason, refusal::too_many_brokers);
  EXPECT_TRUE(contains(r.error, "brokers.max_brokers")) << r.error;
  EXPECT_TRUE(contains(r.error, "broker 4")) << r.error;
  EXPECT_EQ(binder.binds.size(), 3u);
  // Known brokers are still served, and a retired one frees its place.
  EXPECT_TRUE(map.ensure(2, up(2)).route);
  const auto t0 = std::chrono::steady_clock::now();
  map.retire_absent({2, 3}, 1s, t0);
  map.retire_absent({2, 3}, 1s, t0 + 2s);
  EXPECT_TRUE(map.ensure(4, up(4)).route);
}

TEST(BrokerMapRefusal, MaxBrokersDoesNotCountConfiguredMappings) {
  fake_binder binder;
  auto s = node_id_settings(9100, 0, 100);
  s.max_brokers = 1;
  s.address_mappings = {{up(1), {"127.0.0.1", 9500}, {"px", 9500}}};
  s.external_mappings = {{up(2), {"ext", 9092}}};
  broker_map map(s, binder);
  EXPECT_TRUE(map.ensure(1, up(1)).route);
  EXPECT_TRUE(map.ensure(2, up(2)).route);
  EXPECT_TRUE(map.ensure(3, up(3)).route);
  EXPECT_EQ(map.ensure(4, up(4)).reason, refusal::too_many_brokers);
}

// Defect 12 of issue 14: a port the OS would not bind was chosen again at every sight of the
// broker, forever. Now the broker moves on to the next free port.
TEST(BrokerMapSequential, APortThatCannotBeBoundIsSkipped) {
  fake_binder binder;
  binder.fail_ports = {9100, 9101};  // held by some other process
  event_log log;
  broker_map map(sequential_settings(), binder, log.events());
  const auto r = map.ensure(7, up(7));
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_EQ(r.route->listen.port, 9102);
  EXPECT_TRUE(log.refused.empty());
  EXPECT_EQ(map.port_assignments(), (std::map<std::int32_t, std::uint16_t>{{7, 9102}}));
}

TEST(BrokerMapSequential, AStateFilePortThatCannotBeBoundMovesTheBroker) {
  fake_binder binder;
  binder.fail_ports = {9105};
  auto s = sequential_settings();
  s.sequential_state = {{7, 9105}};
  broker_map map(s, binder);
  const auto r = map.ensure(7, up(7));
  ASSERT_TRUE(r.route) << r.error;
  EXPECT_EQ(r.route->listen.port, 9100);
  EXPECT_EQ(map.port_assignments(), (std::map<std::int32_t, std::uint16_t>{{7, 9100}}));
}

TEST(BrokerMapSequential, NoBindablePortLeftIsRefusedOnce) {
  fake_binder binder;
  binder.fail_ports = {9100, 9101};
  event_log log;
  broker_map map(sequential_settings(9100, 2), binder, log.events());
  const auto r = map.ensure(7, up(7));
  EXPECT_FALSE(r.route);
  EXPECT_EQ(r.reason, refusal::port_range_exhausted);
  EXPECT_EQ(binder.binds.size(), 2u);  // each port tried once
  EXPECT_EQ(log.refused.size(), 1u);
}

}  // namespace
}  // namespace kpp::routing
