#include "kpp/config/yaml_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kpp::config {
namespace {

using ::testing::HasSubstr;

config load_ok(const std::string& text) {
  auto r = load_yaml_string(text);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : config{};
}

std::string load_error(const std::string& text) {
  auto r = load_yaml_string(text, "test.yaml");
  EXPECT_FALSE(r.has_value()) << "loaded:\n" << text;
  return r ? "" : r.error().message;
}

constexpr const char* minimal = R"(
bootstrap:
  servers: [10.0.0.1:9092]
brokers:
  base_port: 9100
  advertised_host: b{node_id}.example.com
)";

TEST(YamlLoader, MinimalFileGetsEveryDefault) {
  const auto c = load_ok(minimal);
  config expected;
  expected.bootstrap.servers = {{"10.0.0.1", 9092}};
  expected.bootstrap.listeners = {{{"0.0.0.0", 9092}, std::nullopt, std::nullopt, std::nullopt}};
  expected.brokers.base_port = 9100;
  expected.brokers.advertised_host = "b{node_id}.example.com";
  expected.brokers.listen_host = "0.0.0.0";  // completed from `listen`
  EXPECT_EQ(c, expected);
  // The documented defaults, spelled out once.
  EXPECT_EQ(c.listen, "0.0.0.0");
  EXPECT_EQ(c.brokers.policy, port_policy::node_id);
  EXPECT_EQ(c.brokers.node_id_offset, 0);
  EXPECT_EQ(c.brokers.removal_grace, millis{300'000});
  EXPECT_TRUE(c.brokers.dynamic_listeners);
  EXPECT_EQ(c.discovery.metadata_refresh, millis{30'000});
  EXPECT_EQ(c.timeouts.dial, millis{10'000});
  EXPECT_FALSE(c.timeouts.read.has_value());
  EXPECT_EQ(c.timeouts.idle, millis{0});
  EXPECT_EQ(c.timeouts.drain, millis{30'000});
  EXPECT_EQ(c.limits.max_frame_size, 100u << 20);
  EXPECT_EQ(c.limits.max_connections, 10000u);
  EXPECT_EQ(c.limits.max_in_flight, 256u);
  EXPECT_EQ(c.limits.buffer_size, 64u << 10);
  EXPECT_EQ(c.limits.assembled_memory, 256u << 20);
  EXPECT_EQ(c.limits.splice_min_body, 64u << 10);
  EXPECT_EQ(c.admin.address, (host_port{"0.0.0.0", 9080}));
  EXPECT_EQ(c.admin.health_path, "/health");
  EXPECT_EQ(c.admin.ready_path, "/ready");
  EXPECT_EQ(c.admin.metrics_path, "/metrics");
  EXPECT_EQ(c.log.level, log_level::info);
  EXPECT_EQ(c.log.format, log_format::text);
  EXPECT_TRUE(c.keepalive.enabled);
  EXPECT_EQ(c.keepalive.idle, millis{60'000});
  EXPECT_EQ(c.keepalive.interval, millis{10'000});
  EXPECT_EQ(c.keepalive.count, 6u);
  EXPECT_FALSE(c.proxy_protocol.enabled);
}

TEST(YamlLoader, ReadsEverySection) {
  const auto c = load_ok(R"(
listen: 10.1.2.3
threads: 4
bootstrap:
  servers: "a.internal:9092,b.internal:9093"
  listeners:
    - listen: 9092
    - listen: 0.0.0.0:9192
      upstream: a.internal:9092
      advertised: boot.example.com:9192
brokers:
  port_policy: sequential
  base_port: 9300
  port_range: 50
  listen_host: 0.0.0.0
  advertised_host: brokers.example.com
  dynamic_listeners: true
  state_file: /tmp/ports.json
  removal_grace: 1m
  static:
    - {node_id: 7, listen_port: 9400}
  mappings:
    - {upstream: 10.0.0.1:9092, listen: 0.0.0.0:9500}
  external:
    - {upstream: 10.0.0.2:9092, advertised: ext.example.com:9092}
  dial:
    - {upstream: a.internal:9092, dial: 10.9.9.9:9092}
discovery: {metadata_refresh: 10s, client_id: me}
timeouts: {dial: 3s, read: 1m, write: 20s, idle: 10m, drain: 5s}
limits: {max_frame_size: 1MiB, max_connections: 5, max_in_flight: 8, buffer_size: 4096,
         assembled_memory: 64MiB, splice_min_body: 0}
forbidden_api_keys: [21, 20, 20]
admin: {enabled: true, address: 127.0.0.1:9999, health_path: /h, ready_path: /r, metrics_path: /m}
log: {level: debug, format: json}
keepalive: {enabled: true, idle: 30s, interval: 5s, count: 3}
proxy_protocol: {enabled: true, allowed_sources: [10.0.0.0/8, "fd00::/8"], header_timeout: 2s}
)");
  EXPECT_EQ(c.listen, "10.1.2.3");
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.bootstrap.servers,
            (std::vector<host_port>{{"a.internal", 9092}, {"b.internal", 9093}}));
  ASSERT_EQ(c.bootstrap.listeners.size(), 2u);
  EXPECT_EQ(c.bootstrap.listeners[0].listen, (host_port{"10.1.2.3", 9092}));
  EXPECT_EQ(c.bootstrap.listeners[1].upstream, (host_port{"a.internal", 9092}));
  EXPECT_EQ(c.bootstrap.listeners[1].advertised, (host_port{"boot.example.com", 9192}));
  EXPECT_EQ(c.brokers.policy, port_policy::sequential);
  EXPECT_EQ(c.brokers.port_range, 50u);
  EXPECT_EQ(c.brokers.state_file, "/tmp/ports.json");
  EXPECT_EQ(c.brokers.removal_grace, millis{60'000});
  EXPECT_EQ(c.brokers.static_brokers, (std::vector<static_broker>{{7, 9400, std::nullopt}}));
  // advertised defaults to listen, as in grepplabs.
  EXPECT_EQ(
      c.brokers.mappings,
      (std::vector<address_mapping>{{{"10.0.0.1", 9092}, {"0.0.0.0", 9500}, {"0.0.0.0", 9500}}}));
  EXPECT_EQ(c.brokers.external.at(0).advertised, (host_port{"ext.example.com", 9092}));
  EXPECT_EQ(c.brokers.dial.at(0).dial, (host_port{"10.9.9.9", 9092}));
  EXPECT_EQ(c.discovery.client_id, "me");
  EXPECT_EQ(c.timeouts.read, millis{60'000});
  EXPECT_EQ(c.timeouts.write, millis{20'000});
  EXPECT_EQ(c.timeouts.idle, millis{600'000});
  EXPECT_EQ(c.limits.buffer_size, 4096u);
  EXPECT_EQ(c.limits.assembled_memory, 64u << 20);
  EXPECT_EQ(c.limits.splice_min_body, 0u);
  EXPECT_EQ(c.forbidden_api_keys, (std::vector<std::int16_t>{20, 21}));
  EXPECT_EQ(c.admin.ready_path, "/r");
  EXPECT_EQ(c.log.level, log_level::debug);
  EXPECT_EQ(c.log.format, log_format::json);
  EXPECT_EQ(c.keepalive.count, 3u);
  ASSERT_EQ(c.proxy_protocol.allowed_sources.size(), 2u);
  EXPECT_EQ(c.proxy_protocol.allowed_sources[1].to_string(), "fd00::/8");
  EXPECT_EQ(c.proxy_protocol.header_timeout, millis{2'000});
}

TEST(YamlLoader, MappingsReplaceTheDefaultBootstrapListener) {
  const auto c = load_ok(R"(
brokers:
  port_policy: sequential
  base_port: 9095
  advertised_host: brokers.example.com
  mappings:
    - {upstream: 10.0.0.1:9092, listen: 0.0.0.0:9092}
)");
  EXPECT_TRUE(c.bootstrap.listeners.empty());
  EXPECT_EQ(c.bootstrap.servers, (std::vector<host_port>{{"10.0.0.1", 9092}}));
}

TEST(YamlLoader, ErrorsCarryFileLineAndColumn) {
  struct row {
    const char* yaml;
    const char* message;
  };
  const std::initializer_list<row> rows = {
      {"bootstrap:\n  servers: [a:1]\nbrokers:\n  bse_port: 9100\n",
       "test.yaml:4:3: brokers.bse_port: unknown key; expected one of port_policy, base_port"},
      {"colour: blue\n", "test.yaml:1:1: colour: unknown key; expected one of listen, threads"},
      {"admin:\n  address: 0.0.0.0:9080\n  enabld: true\n",
       "test.yaml:3:3: admin.enabld: unknown key"},
      {"bootstrap:\n  listeners:\n    - listen: 0.0.0.0:9092\n      upstrem: a:1\n",
       "test.yaml:4:7: bootstrap.listeners[0].upstrem: unknown key"},
      {"limits:\n  max_connections: lots\n",
       "test.yaml:2:20: limits.max_connections: \"lots\" is not an integer 1..10000000, e.g. "
       "10000"},
      {"limits:\n  max_frame_size: big\n",
       "limits.max_frame_size: \"big\" is not a size such as 100MiB (bytes, or KiB, MiB, GiB)"},
      {"timeouts:\n  dial: 10\n",
       "timeouts.dial: \"10\" is not a duration such as 10s (units ms, s, m, h)"},
      {"brokers:\n  base_port: 70000\n",
       "brokers.base_port: \"70000\" is not an integer 0..65535, e.g. 9100"},
      {"brokers:\n  port_policy: random\n",
       "brokers.port_policy: \"random\" is not a policy; expected node-id, sequential or static"},
      {"brokers: [1, 2]\n", "test.yaml:1:10: brokers: is a list; expected a map of port_policy"},
      {"admin:\n  enabled: maybe\n",
       "admin.enabled: \"maybe\" is not a boolean; expected true or false"},
      {"log:\n  level: verbose\n",
       "log.level: \"verbose\" is not a level; expected trace, debug, info, warn, error, "
       "critical or off"},
      {"log:\n  format: xml\n", "log.format: \"xml\" is not a format; expected text or json"},
      {"bootstrap:\n  servers: [kafka:0]\n",
       "bootstrap.servers[0]: \"kafka:0\" is not host:port with a port 1..65535, e.g. "
       "kafka-0.internal:9092"},
      {"bootstrap:\n  servers: {a: 1}\n",
       "bootstrap.servers: is a map; expected a list of host:port"},
      {"proxy_protocol:\n  allowed_sources: [10.0.0.0/33]\n",
       "proxy_protocol.allowed_sources[0]: \"10.0.0.0/33\" is not a CIDR block such as "
       "10.0.0.0/8 or fd00::/8 (no host bits set)"},
      {"proxy_protocol:\n  allowed_sources: [10.1.2.3/8]\n",
       "proxy_protocol.allowed_sources[0]: \"10.1.2.3/8\" is not a CIDR block"},
      {"brokers:\n  mappings:\n    - {listen: 0.0.0.0:9092}\n",
       "brokers.mappings[0].upstream: is missing; expected e.g. upstream: 10.0.0.1:9092"},
      {"forbidden_api_keys: [-1]\n",
       "forbidden_api_keys[0]: \"-1\" is not an integer 0..32767, e.g. 20"},
      {"listen: [\n", "test.yaml:2:1: invalid YAML"},
      {"", "test.yaml: is empty; expected a configuration map"},
      {"42\n", "document: is a scalar \"42\"; expected a map of listen, threads"},
  };
  for (const auto& r : rows) EXPECT_THAT(load_error(r.yaml), HasSubstr(r.message)) << r.yaml;
}

TEST(YamlLoader, ValidationProblemsPointAtTheKey) {
  const auto message = load_error(R"(bootstrap:
  servers: [10.0.0.1:9092]
brokers:
  base_port: 9100
  advertised_host: "b{nodeid}.x"
)");
  EXPECT_THAT(message, HasSubstr("test.yaml:5:3: brokers.advertised_host: \"b{nodeid}.x\" has an "
                                 "unknown placeholder {nodeid}; expected a host name with "
                                 "{node_id}, e.g. b{node_id}.example.com"));
}

TEST(YamlLoader, MissingFileIsAnError) {
  auto r = load_yaml_file("/nonexistent/kpp.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "/nonexistent/kpp.yaml: cannot be read; expected a readable YAML file");
  EXPECT_EQ(r.error().exit_code, 2);
}

TEST(YamlLoader, ShippedExamplesLoad) {
  const std::filesystem::path root = KPP_SOURCE_DIR;
  std::vector<std::filesystem::path> files = {root / "config" / "kafka-psc-proxy.yaml"};
  for (const auto& e : std::filesystem::directory_iterator(root / "config" / "examples"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  ASSERT_GE(files.size(), 4u);
  for (const auto& f : files) {
    auto r = load_yaml_file(f.string());
    EXPECT_TRUE(r.has_value()) << f << ": " << (r ? "" : r.error().message);
  }
}

TEST(YamlLoader, FullExampleCoversEveryKey) {
  auto r = load_yaml_file(std::string(KPP_SOURCE_DIR) + "/config/kafka-psc-proxy.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& c = *r;
  EXPECT_EQ(c.brokers.port_range, 100u);
  EXPECT_FALSE(c.brokers.static_brokers.empty());
  EXPECT_FALSE(c.brokers.mappings.empty());
  EXPECT_FALSE(c.brokers.external.empty());
  EXPECT_FALSE(c.brokers.dial.empty());
  EXPECT_FALSE(c.forbidden_api_keys.empty());
  EXPECT_FALSE(c.proxy_protocol.allowed_sources.empty());
  EXPECT_TRUE(c.timeouts.read.has_value());
}

TEST(YamlLoader, EffectiveConfigRoundTrips) {
  auto full = load_yaml_file(std::string(KPP_SOURCE_DIR) + "/config/kafka-psc-proxy.yaml");
  ASSERT_TRUE(full.has_value()) << full.error().message;
  for (const config& c : {*full, load_ok(minimal)}) {
    const auto text = to_yaml(c);
    auto back = load_yaml_string(text, "effective.yaml");
    ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << text;
    EXPECT_EQ(*back, c) << text;
  }
}

}  // namespace
}  // namespace kpp::config
