#include "kpp/config/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace kpp::config {
namespace {

config valid() {
  config c;
  c.bootstrap.servers = {{"10.0.0.1", 9092}};
  c.bootstrap.listeners = {{{"0.0.0.0", 9092}, std::nullopt, std::nullopt, std::nullopt}};
  c.brokers.base_port = 9100;
  c.brokers.port_range = 100;
  c.brokers.advertised_host = "b{node_id}.example.com";
  return c;
}

TEST(Validate, BaseConfigIsValidAndCompleted) {
  auto r = validate(valid());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->brokers.listen_host, "0.0.0.0");
}

struct bad_case {
  const char* name;
  std::function<void(config&)> change;
  const char* message;  // exact text of the one expected problem
};

TEST(Validate, EveryProblemNamesKeyValueAndExpectedForm) {
  const std::vector<bad_case> cases = {
      {"unknown placeholder", [](config& c) { c.brokers.advertised_host = "b{nodeid}.x"; },
       "brokers.advertised_host: \"b{nodeid}.x\" has an unknown placeholder {nodeid}; expected a "
       "host name with {node_id}, e.g. b{node_id}.example.com"},
      {"go template in yaml",
       [](config& c) { c.brokers.advertised_host = "b{{.brokerId}}.example.com"; },
       "brokers.advertised_host: \"b{{.brokerId}}.example.com\" has an unknown placeholder "
       "{{.brokerId}}; expected a host name with {node_id}, e.g. b{node_id}.example.com"},
      {"unbalanced brace", [](config& c) { c.brokers.advertised_host = "b}.x"; },
       "brokers.advertised_host: \"b}.x\" has an unbalanced '}'; expected a host name with "
       "{node_id}, e.g. b{node_id}.example.com"},
      {"empty template", [](config& c) { c.brokers.advertised_host = ""; },
       "brokers.advertised_host: is empty; expected a host name with {node_id}, e.g. "
       "b{node_id}.example.com"},
      {"not a host", [](config& c) { c.brokers.advertised_host = "b{node_id}..x"; },
       "brokers.advertised_host: \"b{node_id}..x\" is not a valid host name; expected a host "
       "name with {node_id}, e.g. b{node_id}.example.com"},
      {"fixed port without node id",
       [](config& c) {
         c.brokers.advertised_host = "brokers.example.com";
         c.brokers.advertised_port = 9092;
       },
       "brokers.advertised_port: 9092 with advertised_host \"brokers.example.com\" gives every "
       "broker the same address; expected {node_id} in brokers.advertised_host, or no "
       "advertised_port"},
      {"listen not ip", [](config& c) { c.listen = "example.com"; },
       "listen: \"example.com\" is not an IP address; expected an address to bind, e.g. "
       "0.0.0.0, 127.0.0.1 or ::"},
      {"node-id without base",
       [](config& c) {
         c.brokers.base_port = 0;
         c.brokers.port_range.reset();
       },
       "brokers.base_port: 0 with port_policy node-id; expected the port of node id "
       "node_id_offset, e.g. 9100"},
      {"range past 65535", [](config& c) { c.brokers.base_port = 65500; },
       "brokers.port_range: 100 from base_port 65500 ends at port 65599; expected at most 36 so "
       "the last port is 65535"},
      {"zero range", [](config& c) { c.brokers.port_range = 0; },
       "brokers.port_range: 0; expected a number of ports, at least 1, or no key"},
      {"negative offset", [](config& c) { c.brokers.node_id_offset = -1; },
       "brokers.node_id_offset: -1 is negative; expected the lowest node id, e.g. 0 or 1"},
      {"no bootstrap servers", [](config& c) { c.bootstrap.servers.clear(); },
       "bootstrap.servers: is empty; expected at least one upstream broker host:port, e.g. "
       "[kafka-0.internal:9092] (or brokers.mappings, whose upstreams are used)"},
      {"no bootstrap port", [](config& c) { c.bootstrap.listeners.clear(); },
       "bootstrap.listeners: is empty and so is brokers.mappings; expected at least one port "
       "clients can bootstrap from, e.g. - listen: 0.0.0.0:9092"},
      {"bootstrap listen host",
       [](config& c) { c.bootstrap.listeners[0].listen.host = "proxy.local"; },
       "bootstrap.listeners[0].listen: \"proxy.local:9092\" does not bind an IP address; "
       "expected ip:port, e.g. 0.0.0.0:9092"},
      {"bad upstream host", [](config& c) { c.bootstrap.servers[0].host = "bad host"; },
       "bootstrap.servers[0]: \"bad host:9092\" has an invalid host name; expected host:port, "
       "e.g. b1.example.com:9092"},
      {"bootstrap collides with admin", [](config& c) { c.admin.address.port = 9092; },
       "admin.address: port 9092 is also bootstrap.listeners[0].listen 0.0.0.0:9092; expected a "
       "port no other listener uses"},
      {"admin inside node-id range", [](config& c) { c.admin.address.port = 9150; },
       "brokers.base_port: the node-id range 9100..9199 on 0.0.0.0 includes admin.address "
       "0.0.0.0:9150; expected ranges that do not overlap: move one or set brokers.port_range"},
      {"static inside range",
       [](config& c) {
         c.brokers.static_brokers = {{5, 9105, std::nullopt}};
       },
       "brokers.base_port: the node-id range 9100..9199 on 0.0.0.0 includes "
       "brokers.static[0].listen_port 0.0.0.0:9105; expected ranges that do not overlap: move "
       "one or set brokers.port_range"},
      {"duplicate static id",
       [](config& c) {
         c.brokers.static_brokers = {{1, 9301, std::nullopt}, {1, 9302, std::nullopt}};
       },
       "brokers.static[1].node_id: 1 appears twice; expected one entry per node id"},
      {"static without nodes", [](config& c) { c.brokers.policy = port_policy::static_only; },
       "brokers.static: is empty with port_policy static; expected entries such as - {node_id: "
       "1, listen_port: 9101}"},
      {"state file with node-id", [](config& c) { c.brokers.state_file = "/tmp/s"; },
       "brokers.state_file: \"/tmp/s\" is set with port_policy node-id; expected it only with "
       "port_policy sequential"},
      {"mapping twice",
       [](config& c) {
         c.brokers.mappings = {{{"10.0.0.1", 9092}, {"0.0.0.0", 9001}, {"a.x", 9001}},
                               {{"10.0.0.1", 9092}, {"0.0.0.0", 9002}, {"b.x", 9002}}};
       },
       "brokers.mappings[1].upstream: \"10.0.0.1:9092\" is mapped twice; expected one mapping "
       "per upstream address"},
      {"external also mapped",
       [](config& c) {
         c.brokers.mappings = {{{"10.0.0.1", 9092}, {"0.0.0.0", 9001}, {"a.x", 9001}}};
         c.brokers.external = {{{"10.0.0.1", 9092}, {"e.x", 9092}}};
       },
       "brokers.external[0].upstream: \"10.0.0.1:9092\" is mapped twice; expected one mapping "
       "per upstream address"},
      {"dial twice",
       [](config& c) {
         c.brokers.dial = {{{"k", 1}, {"10.0.0.1", 1}}, {{"k", 1}, {"10.0.0.2", 1}}};
       },
       "brokers.dial[1].upstream: \"k:1\" is redirected twice; expected one dial address per "
       "upstream"},
      {"refresh too short", [](config& c) { c.discovery.metadata_refresh = millis{10}; },
       "discovery.metadata_refresh: 10ms is too short; expected at least 100ms, e.g. 30s"},
      {"zero dial", [](config& c) { c.timeouts.dial = millis{0}; },
       "timeouts.dial: 0; expected a positive duration, e.g. 10s"},
      {"zero read", [](config& c) { c.timeouts.read = millis{0}; },
       "timeouts.read: 0; expected a positive duration, e.g. 30s, or no key for none"},
      {"huge frame", [](config& c) { c.limits.max_frame_size = 4ull << 30; },
       "limits.max_frame_size: 4GiB is out of range; expected 1KiB up to 2147483647 bytes, e.g. "
       "100MiB"},
      {"tiny buffer", [](config& c) { c.limits.buffer_size = 100; },
       "limits.buffer_size: 100 is out of range; expected 512 bytes up to 64MiB, e.g. 64KiB"},
      {"tiny assembly budget", [](config& c) { c.limits.assembled_memory = 1000; },
       "limits.assembled_memory: 1000 is out of range; expected 1MiB up to 1TiB, e.g. 256MiB"},
      {"tiny splice threshold", [](config& c) { c.limits.splice_min_body = 100; },
       "limits.splice_min_body: 100 is out of range; expected 0 (never splice) or 4KiB up to "
       "1GiB, e.g. 64KiB"},
      {"zero in flight", [](config& c) { c.limits.max_in_flight = 0; },
       "limits.max_in_flight: 0 is out of range; expected 1..65536, e.g. 256"},
      {"zero connections", [](config& c) { c.limits.max_connections = 0; },
       "limits.max_connections: 0; expected at least 1, e.g. 10000"},
      {"negative api key", [](config& c) { c.forbidden_api_keys = {-3}; },
       "forbidden_api_keys: -3 is negative; expected Kafka API keys, e.g. [20] for DeleteTopics"},
      {"bad path", [](config& c) { c.admin.ready_path = "ready"; },
       "admin.ready_path: \"ready\" is not a path; expected one starting with /, e.g. /health"},
      {"same path", [](config& c) { c.admin.metrics_path = "/health"; },
       "admin.metrics_path: \"/health\" is used by another admin path; expected distinct paths"},
      {"keepalive fraction", [](config& c) { c.keepalive.idle = millis{1500}; },
       "keepalive.idle: 1500ms is not a whole number of seconds >= 1s; expected e.g. 60s"},
      {"keepalive count", [](config& c) { c.keepalive.count = 0; },
       "keepalive.count: 0 is out of range; expected 1..127, e.g. 6"},
      {"threads", [](config& c) { c.threads = 5000; },
       "threads: 5000 is too many; expected 0 (one per core) up to 1024"},
      {"proxy protocol timeout",
       [](config& c) {
         c.proxy_protocol.enabled = true;
         c.proxy_protocol.header_timeout = millis{0};
       },
       "proxy_protocol.header_timeout: 0; expected a positive duration, e.g. 5s"},
  };
  for (const auto& bc : cases) {
    auto c = valid();
    bc.change(c);
    auto problems = complete_and_check(c);
    ASSERT_EQ(problems.size(), 1u) << bc.name << ": " << [&] {
      std::string all;
      for (const auto& p : problems) all += "\n  " + p.message;
      return all;
    }();
    EXPECT_EQ(problems[0].message, bc.message) << bc.name;
    EXPECT_EQ(problems[0].message.rfind(problems[0].key + ": ", 0), 0u) << bc.name;
  }
}

TEST(Validate, ListenersOnDistinctAddressesMayShareAPort) {
  auto c = valid();
  c.bootstrap.listeners = {{{"10.0.0.5", 9092}, std::nullopt, std::nullopt, std::nullopt},
                           {{"10.0.0.6", 9092}, std::nullopt, std::nullopt, std::nullopt}};
  EXPECT_TRUE(validate(c).has_value());
  c.bootstrap.listeners[1].listen.host = "0.0.0.0";  // the wildcard takes every address
  EXPECT_FALSE(validate(c).has_value());
}

// grepplabs' deterministic listeners run up to 65535: a port inside that range costs only the
// broker it would go to, so it is a start-up warning naming that broker, not an error. With
// an explicit port_range the overlap stays an error (EveryProblemNamesKeyValueAndExpectedForm).
TEST(Validate, AdminPortInsideAnUnboundedNodeIdRangeIsAWarningNamingTheBroker) {
  auto c = valid();
  c.brokers.port_range.reset();
  c.brokers.node_id_offset = 1;
  c.admin.address = {"0.0.0.0", 9180};
  auto r = validate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_THAT(start_warnings(*r),
              ::testing::ElementsAre(
                  "brokers.base_port: the node-id range 9100..65535 on 0.0.0.0 includes "
                  "admin.address 0.0.0.0:9180: broker 81 would get that port, so it will be "
                  "refused if it appears (counted as a port collision); set brokers.port_range "
                  "or move admin.address to avoid it"));
  c.brokers.port_range = 100;
  EXPECT_TRUE(start_warnings(c).empty());
  EXPECT_FALSE(validate(c).has_value());
}

TEST(Validate, ReportsEveryProblemOnItsOwnLine) {
  auto c = valid();
  c.listen = "nowhere";
  c.limits.max_connections = 0;
  auto r = validate(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().exit_code, 2);
  EXPECT_EQ(std::count(r.error().message.begin(), r.error().message.end(), '\n'), 1);
}

TEST(Validate, BootstrapServersComeFromMappings) {
  auto c = valid();
  c.bootstrap.servers.clear();
  c.bootstrap.listeners.clear();
  c.brokers.mappings = {{{"10.0.0.1", 9092}, {"0.0.0.0", 9092}, {"b1.x", 9092}},
                        {{"10.0.0.2", 9092}, {"0.0.0.0", 9093}, {"b2.x", 9093}}};
  auto r = validate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->bootstrap.servers, (std::vector<host_port>{{"10.0.0.1", 9092}, {"10.0.0.2", 9092}}));
}

TEST(Cidr, ConfigUsesTheProtocolLayersParser) {
  auto v4 = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(protocol::contains(*v4, "10.200.1.2"));
  EXPECT_FALSE(protocol::contains(*v4, "11.0.0.1"));
  EXPECT_EQ(parse_cidr("192.168.1.7")->to_string(), "192.168.1.7/32");
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/x", "300.0.0.0/8", "10.0.0.1/8", "::/129", "example.com/8"})
    EXPECT_FALSE(parse_cidr(bad).has_value()) << bad;
}

}  // namespace
}  // namespace kpp::config
