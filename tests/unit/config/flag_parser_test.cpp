#include "kpp/config/flag_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "kpp/config/yaml_loader.h"

namespace kpp::config {
namespace {

using ::testing::HasSubstr;

result<config> flags(std::vector<std::string> args, std::vector<std::string>* notices = nullptr) {
  return parse_server_flags(args, notices);
}

// The YAML a flag line should equal: grepplabs defaults (sequential ports, dynamic listeners
// on 127.0.0.1 advertised as 127.0.0.1, mappings as the only bootstrap ports) plus overrides.
std::string yaml_for(std::map<std::string, std::string> brokers, const std::string& rest = "") {
  std::map<std::string, std::string> b = {
      {"port_policy", "sequential"},
      {"listen_host", "127.0.0.1"},
      {"advertised_host", "127.0.0.1"},
      {"mappings", "[{upstream: 10.0.0.1:9092, listen: 0.0.0.0:9092}]"}};
  for (auto& [k, v] : brokers) b[k] = v;
  std::string y = "bootstrap:\n  listeners: []\nbrokers:\n";
  for (const auto& [k, v] : b) y += "  " + k + ": " + v + "\n";
  return y + rest;
}

const std::vector<std::string> base = {"--bootstrap-server-mapping", "10.0.0.1:9092,0.0.0.0:9092"};

std::vector<std::string> with_base(std::vector<std::string> extra) {
  auto out = base;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

struct equivalence {
  const char* name;
  std::vector<std::string> args;
  std::string yaml;
};

TEST(ServerFlags, EachFlagGivesTheSameConfigAsItsYaml) {
  const std::vector<equivalence> cases = {
      {"mapping only", base, yaml_for({})},
      {"three-part mapping",
       {"--bootstrap-server-mapping=10.0.0.1:9092,0.0.0.0:9092,b1.example.com:9092"},
       yaml_for({{"mappings",
                  "[{upstream: 10.0.0.1:9092, listen: 0.0.0.0:9092, advertised: "
                  "b1.example.com:9092}]"}})},
      {"external", with_base({"--external-server-mapping", "10.0.0.2:9092,ext.example.com:9092"}),
       yaml_for({{"external", "[{upstream: 10.0.0.2:9092, advertised: ext.example.com:9092}]"}})},
      {"dial", with_base({"--dial-address-mapping=kafka-0.internal:9092,10.9.9.9:9092"}),
       yaml_for({{"dial", "[{upstream: kafka-0.internal:9092, dial: 10.9.9.9:9092}]"}})},
      {"dynamic listeners off", with_base({"--dynamic-listeners-disable"}),
       yaml_for({{"dynamic_listeners", "false"}})},
      {"dynamic listeners explicitly on", with_base({"--dynamic-listeners-disable=false"}),
       yaml_for({})},
      {"min port", with_base({"--dynamic-sequential-min-port", "9095"}),
       yaml_for({{"base_port", "9095"}})},
      {"max ports",
       with_base({"--dynamic-sequential-min-port=9095", "--dynamic-sequential-max-ports=10"}),
       yaml_for({{"base_port", "9095"}, {"port_range", "10"}})},
      {"max ports zero means to 65535",
       with_base({"--dynamic-sequential-min-port=9095", "--dynamic-sequential-max-ports=0"}),
       yaml_for({{"base_port", "9095"}})},
      {"plain advertised listener (0.3)",
       with_base({"--dynamic-advertised-listener", "brokers.example.com"}),
       yaml_for({{"advertised_host", "brokers.example.com"}})},
      {"templated advertised listener (0.4)",
       with_base({"--dynamic-advertised-listener={{ .brokerId }}.b.example.com"}),
       yaml_for({{"advertised_host", "\"{node_id}.b.example.com\""}})},
      {"default listener ip", with_base({"--default-listener-ip", "0.0.0.0"}),
       yaml_for({{"listen_host", "0.0.0.0"}, {"advertised_host", "0.0.0.0"}})},
      {"deterministic",
       with_base({"--deterministic-listeners", "--dynamic-sequential-min-port", "32400"}),
       yaml_for({{"port_policy", "node-id"}, {"base_port", "32400"}, {"node_id_offset", "0"}})},
      {"forbidden keys", with_base({"--forbidden-api-keys", "21,20", "--forbidden-api-keys=22"}),
       yaml_for({}, "forbidden_api_keys: [20, 21, 22]\n")},
      {"http",
       with_base({"--http-listen-address=127.0.0.1:9999", "--http-health-path", "/hc",
                  "--http-metrics-path", "/m", "--http-ready-path", "/rd"}),
       yaml_for({},
                "admin: {address: 127.0.0.1:9999, health_path: /hc, metrics_path: /m, "
                "ready_path: /rd}\n")},
      {"http disabled", with_base({"--http-disable"}), yaml_for({}, "admin: {enabled: false}\n")},
      {"log", with_base({"--log-format", "json", "--log-level=warning"}),
       yaml_for({}, "log: {format: json, level: warn}\n")},
      {"log fatal", with_base({"--log-level", "fatal"}), yaml_for({}, "log: {level: critical}\n")},
      {"log trace", with_base({"--log-level", "trace"}), yaml_for({}, "log: {level: trace}\n")},
      {"timeouts",
       with_base({"--kafka-dial-timeout", "5s", "--kafka-read-timeout=1m0s",
                  "--kafka-write-timeout", "45s"}),
       yaml_for({}, "timeouts: {dial: 5s, read: 1m, write: 45s}\n")},
      {"keep-alive", with_base({"--kafka-keep-alive", "30s", "--proxy-listener-keep-alive=30s"}),
       yaml_for({}, "keepalive: {idle: 30s}\n")},
      {"keep-alive zero disables", with_base({"--kafka-keep-alive", "0"}),
       yaml_for({}, "keepalive: {enabled: false}\n")},
      {"buffers take the larger",
       with_base({"--proxy-request-buffer-size", "4096", "--proxy-response-buffer-size=8192"}),
       yaml_for({}, "limits: {buffer_size: 8KiB}\n")},
      {"open requests", with_base({"--kafka-max-open-requests", "64"}),
       yaml_for({}, "limits: {max_in_flight: 64}\n")},
      {"client id", with_base({"--kafka-client-id", "my-proxy"}),
       yaml_for({}, "discovery: {client_id: my-proxy}\n")},
      {"our keepalive",
       with_base({"--keepalive-idle", "20s", "--keepalive-interval", "5s", "--keepalive-count=4"}),
       yaml_for({}, "keepalive: {idle: 20s, interval: 5s, count: 4}\n")},
      {"our keepalive off", with_base({"--keepalive-disable"}),
       yaml_for({}, "keepalive: {enabled: false}\n")},
      {"our timeouts", with_base({"--idle-timeout", "10m", "--drain-timeout=45s"}),
       yaml_for({}, "timeouts: {idle: 10m, drain: 45s}\n")},
      {"proxy protocol",
       with_base({"--proxy-protocol", "--proxy-protocol-allowed-sources", "10.0.0.0/8,fd00::/8"}),
       yaml_for({},
                "proxy_protocol: {enabled: true, allowed_sources: [10.0.0.0/8, \"fd00::/8\"]}\n")},
      {"state file",
       with_base({"--dynamic-sequential-min-port=9095", "--state-file", "/tmp/p.json"}),
       yaml_for({{"base_port", "9095"}, {"state_file", "/tmp/p.json"}})},
      {"discovery and limits",
       with_base({"--metadata-refresh", "10s", "--max-connections=500", "--max-frame-size", "8MiB",
                  "--threads", "2"}),
       yaml_for({},
                "discovery: {metadata_refresh: 10s}\nlimits: {max_connections: 500, "
                "max_frame_size: 8MiB}\nthreads: 2\n")},
      {"accepted without effect",
       with_base({"--kafka-connection-read-buffer-size", "65536",
                  "--kafka-connection-write-buffer-size=0", "--proxy-listener-read-buffer-size",
                  "1", "--proxy-listener-write-buffer-size", "2", "--producer-acks-0-disabled"}),
       yaml_for({})},
  };
  for (const auto& tc : cases) {
    auto from_flags = flags(tc.args);
    ASSERT_TRUE(from_flags.has_value()) << tc.name << ": " << from_flags.error().message;
    auto from_yaml = load_yaml_string(tc.yaml, tc.name);
    ASSERT_TRUE(from_yaml.has_value()) << tc.name << ": " << from_yaml.error().message;
    EXPECT_EQ(*from_flags, *from_yaml) << tc.name << "\nflags:\n"
                                       << to_yaml(*from_flags) << "yaml:\n"
                                       << to_yaml(*from_yaml);
  }
}

TEST(ServerFlags, SeedCommandLine) {
  std::vector<std::string> notices;
  auto c = flags({"--bootstrap-server-mapping",
                  "10.0.0.1:9092,0.0.0.0:9092,b1.abc.us-west1.gcp.3199745.tidbcloud.com:9092",
                  "--bootstrap-server-mapping",
                  "10.0.0.2:9092,0.0.0.0:9093,b2.abc.us-west1.gcp.3199745.tidbcloud.com:9093",
                  "--bootstrap-server-mapping",
                  "10.0.0.3:9092,0.0.0.0:9094,b3.abc.us-west1.gcp.3199745.tidbcloud.com:9094",
                  "--dynamic-sequential-min-port=9095",
                  "--dynamic-advertised-listener=brokers.abc.us-west1.gcp.3199745.tidbcloud.com"},
                 &notices);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->bootstrap.servers,
            (std::vector<host_port>{{"10.0.0.1", 9092}, {"10.0.0.2", 9092}, {"10.0.0.3", 9092}}));
  EXPECT_TRUE(c->bootstrap.listeners.empty());  // each mapping is a pinned bootstrap port
  ASSERT_EQ(c->brokers.mappings.size(), 3u);
  EXPECT_EQ(c->brokers.mappings[1],
            (address_mapping{{"10.0.0.2", 9092},
                             {"0.0.0.0", 9093},
                             {"b2.abc.us-west1.gcp.3199745.tidbcloud.com", 9093}}));
  EXPECT_EQ(c->brokers.policy, port_policy::sequential);
  EXPECT_EQ(c->brokers.base_port, 9095);
  EXPECT_FALSE(c->brokers.port_range.has_value());
  EXPECT_EQ(c->brokers.advertised_host, "brokers.abc.us-west1.gcp.3199745.tidbcloud.com");
  EXPECT_FALSE(c->brokers.advertised_port.has_value());  // advertised at its listen port
  EXPECT_EQ(c->brokers.listen_host, "127.0.0.1");        // grepplabs --default-listener-ip
  EXPECT_TRUE(c->brokers.dynamic_listeners);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_THAT(notices[0], HasSubstr("run a single instance"));

  auto yaml = load_yaml_file(std::string(KPP_SOURCE_DIR) + "/config/examples/sequential.yaml");
  ASSERT_TRUE(yaml.has_value()) << yaml.error().message;
  EXPECT_EQ(yaml->brokers.mappings, c->brokers.mappings);
  EXPECT_EQ(yaml->bootstrap.servers, c->bootstrap.servers);
}

// grepplabs 0.4 splits a trailing :port off the rendered template and advertises every
// broker on that port, while the listener stays on min port + broker id: the brokers are told
// apart by host name (one DNS name, hence one forwarding rule, per broker), not by port.
TEST(ServerFlags, DeterministicListenersWithFixedAdvertisedPort) {
  auto c = flags({"--bootstrap-server-mapping",
                  "kafka-0.internal:9092,0.0.0.0:9092,bootstrap.example.com:9092",
                  "--deterministic-listeners", "--dynamic-sequential-min-port", "32400",
                  "--dynamic-advertised-listener", "b{{.brokerId}}.example.com:32400",
                  "--default-listener-ip", "0.0.0.0"});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->brokers.policy, port_policy::node_id);
  EXPECT_EQ(c->brokers.base_port, 32400);
  EXPECT_EQ(c->brokers.node_id_offset, 0);
  EXPECT_FALSE(c->brokers.port_range.has_value());  // grepplabs: 65536 - min port
  EXPECT_EQ(c->brokers.advertised_host, "b{node_id}.example.com");
  EXPECT_EQ(c->brokers.advertised_port, 32400);
  EXPECT_EQ(c->brokers.listen_host, "0.0.0.0");

  auto yaml =
      load_yaml_string(yaml_for({{"port_policy", "node-id"},
                                 {"base_port", "32400"},
                                 {"listen_host", "0.0.0.0"},
                                 {"advertised_host", "\"b{node_id}.example.com\""},
                                 {"advertised_port", "32400"},
                                 {"mappings",
                                  "[{upstream: kafka-0.internal:9092, listen: "
                                  "0.0.0.0:9092, advertised: bootstrap.example.com:9092}]"}}));
  ASSERT_TRUE(yaml.has_value()) << yaml.error().message;
  EXPECT_EQ(*c, *yaml);
}

TEST(ServerFlags, FixedAdvertisedPortWithoutTemplateIsRefused) {
  auto c = flags(with_base({"--deterministic-listeners", "--dynamic-sequential-min-port=32400",
                            "--dynamic-advertised-listener=proxy.example.com:32400"}));
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message,
              HasSubstr("brokers.advertised_port: 32400 with advertised_host "
                        "\"proxy.example.com\" gives every broker the same address"));
  EXPECT_THAT(c.error().message, HasSubstr("(set by command-line flags; see config/flags.md)"));
}

TEST(ServerFlags, UnsupportedGrepplabsFlagsAreRefused) {
  for (std::vector<std::string> extra : std::initializer_list<std::vector<std::string>>{
           {"--tls-same-client-cert-enable"},
           {"--authz-enable"},
           {"--same-client-cert-enable"},
           {"--forward-proxy", "socks5://localhost:1080"},
           {"--debug-enable"},
           {"--debug-listen-address", "0.0.0.0:6060"},
           {"--log-level-fieldname", "@level"},
       }) {
    auto c = flags(with_base(extra));
    ASSERT_FALSE(c.has_value()) << extra[0];
    EXPECT_EQ(c.error().message, "not supported yet: " + extra[0].substr(0, extra[0].find('=')));
    EXPECT_EQ(c.error().exit_code, 2);
  }
}

TEST(ServerFlags, CommandLineErrors) {
  struct row {
    std::vector<std::string> args;
    const char* message;
  };
  const std::vector<row> rows = {
      {with_base({"--bootstrap-server", "x:1"}),
       "unknown flag: --bootstrap-server (see kafka-psc-proxy server --help)"},
      {with_base({"stray"}),
       "unexpected argument \"stray\"; expected --flag value or --flag=value (see "
       "kafka-psc-proxy server --help)"},
      {{"--dynamic-sequential-min-port", "9095"},
       "--bootstrap-server-mapping is missing; expected at least one, e.g. "
       "--bootstrap-server-mapping \"10.0.0.1:9092,0.0.0.0:9092\""},
      {{"--bootstrap-server-mapping", "10.0.0.1:9092"},
       "--bootstrap-server-mapping: \"10.0.0.1:9092\" is not a mapping "
       "\"upstream:port,listen:port[,advertised:port]\""},
      {{"--bootstrap-server-mapping", "10.0.0.1:9092,0.0.0.0"},
       "--bootstrap-server-mapping: \"10.0.0.1:9092,0.0.0.0\" is not a mapping "
       "\"upstream:port,listen:port[,advertised:port]\" (\"0.0.0.0\" is not host:port)"},
      {with_base({"--external-server-mapping", "a:1,b:2,c:3"}),
       "--external-server-mapping: \"a:1,b:2,c:3\" is not a mapping "
       "\"upstream:port,address:port\""},
      {with_base({"--deterministic-listeners"}),
       "--deterministic-listeners needs --dynamic-sequential-min-port; expected e.g. "
       "--dynamic-sequential-min-port 32400 (broker N listens on 32400 + N)"},
      {with_base({"--dynamic-sequential-max-ports", "10"}),
       "--dynamic-sequential-max-ports needs --dynamic-sequential-min-port; expected e.g. "
       "--dynamic-sequential-min-port 32400 --dynamic-sequential-max-ports 100"},
      {with_base({"--dynamic-sequential-min-port"}), "--dynamic-sequential-min-port needs a value"},
      {with_base({"--dynamic-sequential-min-port", "70000"}),
       "--dynamic-sequential-min-port: \"70000\" is not an integer 0..65535"},
      {with_base({"--dynamic-listeners-disable=maybe"}),
       "--dynamic-listeners-disable: \"maybe\" is not a boolean; expected true or false"},
      {with_base({"--kafka-dial-timeout", "15"}),
       "--kafka-dial-timeout: \"15\" is not a duration; expected e.g. 30s, 1m0s or 500ms"},
      {with_base({"--forbidden-api-keys", "20,x"}),
       "--forbidden-api-keys: \"20,x\" is not a list of Kafka API keys; expected e.g. 20 or 20,21"},
      {with_base({"--log-level", "loud"}),
       "--log-level: \"loud\" is not a log level; expected trace, debug, info, warning, error or "
       "fatal"},
      {with_base({"--log-format=xml"}),
       "--log-format: \"xml\" is not a log format; expected text or json"},
      {with_base({"--http-listen-address", "9080"}),
       "--http-listen-address: \"9080\" is not host:port; expected e.g. 0.0.0.0:9080"},
      {with_base({"--kafka-keep-alive", "30s", "--proxy-listener-keep-alive", "1m"}),
       "--proxy-listener-keep-alive 1m and --kafka-keep-alive 30s disagree; expected one "
       "keepalive period for client and broker sockets"},
      {with_base({"--proxy-protocol-allowed-sources", "10.0.0.0/8,bogus"}),
       "--proxy-protocol-allowed-sources: \"bogus\" is not a CIDR block; expected e.g. "
       "10.0.0.0/8 or fd00::/8"},
      {with_base({"--dynamic-advertised-listener", "b{{.BrokerHost}}.example.com"}),
       "--dynamic-advertised-listener: \"b{{.BrokerHost}}.example.com\" uses the template "
       "{{.BrokerHost}}; expected a host name, optionally with {{.brokerId}} and :port, e.g. "
       "b{{.brokerId}}.example.com or b{{.brokerId}}.example.com:9092"},
      {with_base({"--dynamic-advertised-listener", "b.example.com:99999"}),
       "--dynamic-advertised-listener: \"b.example.com:99999\" has an invalid port; expected"},
      {with_base({"--dynamic-advertised-listener", "b{{.brokerId}.example.com"}),
       "--dynamic-advertised-listener: \"b{{.brokerId}.example.com\" has an unclosed {{"},
  };
  for (const auto& r : rows) {
    auto c = flags(r.args);
    ASSERT_FALSE(c.has_value()) << r.message;
    EXPECT_THAT(c.error().message, HasSubstr(r.message));
    EXPECT_EQ(c.error().exit_code, 2);
  }
}

TEST(ServerFlags, AcceptedWithoutEffectAreReported) {
  std::vector<std::string> notices;
  auto c = flags(with_base({"--kafka-connection-read-buffer-size=65536",
                            "--producer-acks-0-disabled", "--dynamic-listeners-disable"}),
                 &notices);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(notices.size(), 2u);  // no single-instance notice: no dynamic listeners
  EXPECT_EQ(notices[0],
            "--kafka-connection-read-buffer-size 65536 accepted without effect: the kernel sizes "
            "socket buffers");
  EXPECT_THAT(notices[1], HasSubstr("--producer-acks-0-disabled true accepted without effect"));
}

TEST(AdvertisedListener, GoTemplateAndPort) {
  struct row {
    const char* text;
    advertised_listener expected;
  };
  for (const auto& r : std::initializer_list<row>{
           {"brokers.example.com", {"brokers.example.com", std::nullopt}},
           {"b{{.brokerId}}.example.com", {"b{node_id}.example.com", std::nullopt}},
           {"b{{ .brokerId }}.example.com:9092", {"b{node_id}.example.com", 9092}},
           {"b{{.brokerID}}.x:1", {"b{node_id}.x", 1}},
           {"[fd00::1]:9092", {"fd00::1", 9092}},
           {"10.0.0.1:9092", {"10.0.0.1", 9092}},
       }) {
    auto a = parse_advertised_listener(r.text);
    ASSERT_TRUE(a.has_value()) << r.text << ": " << a.error().message;
    EXPECT_EQ(*a, r.expected) << r.text;
  }
  for (const char* bad : {"", ":9092", "b{{.brokerId}.x", "b{{.Host}}.x", "h:0", "h:x", "[::1"})
    EXPECT_FALSE(parse_advertised_listener(bad).has_value()) << bad;
}

// ---- the whole command line

result<command_line> run(std::vector<std::string> args) {
  std::vector<const char*> argv = {"kafka-psc-proxy"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

class CommandLine : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("kpp-config-test-" + std::to_string(::getpid()) + ".yaml"))
                .string();
    std::ofstream(path_) << "bootstrap:\n  servers: [10.0.0.1:9092]\nbrokers:\n  base_port: 9100\n"
                            "  advertised_host: b{node_id}.example.com\n";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(CommandLine, ConfigFileForms) {
  for (const auto& args :
       std::initializer_list<std::vector<std::string>>{{"--config", path_},
                                                       {"--config=" + path_},
                                                       {"run", "--config", path_},
                                                       {"run", "--config=" + path_}}) {
    auto cl = run(args);
    ASSERT_TRUE(cl.has_value()) << cl.error().message;
    EXPECT_EQ(cl->mode, run_mode::run);
    EXPECT_EQ(cl->config_path, path_);
    EXPECT_FALSE(cl->from_flags);
    EXPECT_EQ(cl->cfg.brokers.base_port, 9100);
  }
}

TEST_F(CommandLine, CheckConfig) {
  for (const auto& args : std::initializer_list<std::vector<std::string>>{
           {"check-config", path_}, {"check-config", "--config", path_}}) {
    auto cl = run(args);
    ASSERT_TRUE(cl.has_value()) << cl.error().message;
    EXPECT_EQ(cl->mode, run_mode::check_config);
    EXPECT_EQ(cl->cfg.brokers.advertised_host, "b{node_id}.example.com");
  }
  auto missing = run({"check-config", "/nonexistent.yaml"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().exit_code, 2);
}

TEST_F(CommandLine, ModesAndErrors) {
  auto v = run({"--version"});
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->mode, run_mode::version);

  auto h = run({"--help"});
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->mode, run_mode::help);
  EXPECT_THAT(h->help_text, HasSubstr("kafka-psc-proxy server FLAGS"));

  auto sh = run({"server", "--bootstrap-server-mapping", "a:1,0.0.0.0:2", "--help"});
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(sh->mode, run_mode::help);
  EXPECT_THAT(sh->help_text, HasSubstr("--bootstrap-server-mapping"));

  auto d = run({"demo"});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->mode, run_mode::demo);
  EXPECT_EQ(d->demo_messages, 1000u);
  auto d5 = run({"demo", "--messages", "5"});
  ASSERT_TRUE(d5.has_value());
  EXPECT_EQ(d5->demo_messages, 5u);
  auto d7 = run({"demo", "--messages=7"});
  ASSERT_TRUE(d7.has_value());
  EXPECT_EQ(d7->demo_messages, 7u);

  auto s = run({"server", "--bootstrap-server-mapping", "10.0.0.1:9092,0.0.0.0:9092"});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->mode, run_mode::run);
  EXPECT_TRUE(s->from_flags);

  struct row {
    std::vector<std::string> args;
    const char* message;
  };
  for (const auto& r : std::initializer_list<row>{
           {{}, "no command; expected --config FILE"},
           {{"serve"}, "unknown command \"serve\"; expected --config FILE"},
           {{"--config"}, "--config needs a value; expected --config FILE.yaml"},
           {{"run"}, "--config is missing; expected --config FILE.yaml"},
           {{"run", "--config", path_, "extra"}, "unexpected argument \"extra\""},
           {{"demo", "--messages", "0"}, "demo: --messages \"0\" is not an integer 1..100000000"},
           {{"demo", "--fast"}, "demo: unexpected argument \"--fast\"; expected --messages N"},
           {{"server", "--tls-same-client-cert-enable"},
            "not supported yet: --tls-same-client-cert-enable"},
           {{"--config", "/nonexistent.yaml"}, "/nonexistent.yaml: cannot be read"},
       }) {
    auto cl = run(r.args);
    ASSERT_FALSE(cl.has_value()) << r.message;
    EXPECT_THAT(cl.error().message, HasSubstr(r.message));
    EXPECT_EQ(cl.error().exit_code, 2);
  }
}

}  // namespace
}  // namespace kpp::config
