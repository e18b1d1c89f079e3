#include "kpp/admin/metrics.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kpp/admin/prometheus_text.h"

namespace kpp::admin {
namespace {

// An independent reader of the 0.0.4 text format, strict enough to reject what Prometheus
// would reject: every sample's family has HELP then TYPE first, label values are unescaped.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct exposition {
  std::map<std::string, std::string> help;
  std::map<std::string, std::string> type;
  std::vector<sample> samples;

  [[nodiscard]] std::vector<const sample*> find(const std::string& name) const {
    std::vector<const sample*> r;
    for (const auto& s : samples)
      if (s.name == name) r.push_back(&s);
    return r;
  }
  [[nodiscard]] std::optional<std::string> value(
      const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nullopt;
  }
};

std::string unescape_help(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

exposition parse(const std::string& text) {
  exposition e;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "exposition must end with a newline";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    SCOPED_TRACE(line);
    EXPECT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      EXPECT_NE(sp, std::string::npos);
      EXPECT_FALSE(e.help.contains(rest.substr(0, sp))) << "duplicate HELP";
      e.help[rest.substr(0, sp)] = unescape_help(rest.substr(sp + 1));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      EXPECT_TRUE(e.help.contains(name)) << "TYPE before HELP";
      EXPECT_FALSE(e.type.contains(name)) << "duplicate TYPE";
      std::string type = rest.substr(sp + 1);
      EXPECT_TRUE(type == "counter" || type == "gauge") << type;
      e.type[name] = type;
      continue;
    }
    EXPECT_NE(line[0], '#');
    sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string key;
        while (i < line.size() && line[i] != '=') key += line[i++];
        EXPECT_EQ(line.substr(i, 2), "=\"");
        i += 2;
        std::string val;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            if (i >= line.size()) {
              ADD_FAILURE() << "dangling escape";
              break;
            }
            EXPECT_TRUE(line[i] == '\\' || line[i] == '"' || line[i] == 'n') << "bad escape";
            val += line[i] == 'n' ? '\n' : line[i];
          } else {
            val += line[i];
          }
          ++i;
        }
        ++i;  // closing quote
        s.labels[key] = val;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // closing brace
    }
    EXPECT_EQ(line[i], ' ');
    s.value = line.substr(i + 1);
    EXPECT_TRUE(e.type.contains(s.name)) << "sample without TYPE: " << s.name;
    EXPECT_EQ(s.name.rfind("kafka_psc_proxy_", 0), 0u);
    e.samples.push_back(std::move(s));
  }
  return e;
}

exposition render(const registry& r) {
  std::string out;
  r.render_prometheus(out);
  return parse(out);
}

TEST(Metrics, AlwaysPresentFamiliesOnEmptyRegistry) {
  registry r;
  auto e = render(r);
  for (const char* name :
       {"kafka_psc_proxy_build_info", "kafka_psc_proxy_ready",
        "kafka_psc_proxy_upstream_dial_errors_total", "kafka_psc_proxy_discovery_age_seconds",
        "kafka_psc_proxy_discovery_failures_total", "kafka_psc_proxy_brokers",
        "kafka_psc_proxy_port_map_changes_total", "kafka_psc_proxy_port_collisions_total",
        "kafka_psc_proxy_brokers_out_of_port_range_total",
        "kafka_psc_proxy_node_endpoints_dropped_total",
        "kafka_psc_proxy_discovery_last_success_timestamp_seconds"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(e.find(name).size(), 1u);
  }
  EXPECT_EQ(e.value("kafka_psc_proxy_ready"), "0");
  EXPECT_EQ(e.value("kafka_psc_proxy_node_endpoints_dropped_total"), "0");
  r.count_node_endpoints_dropped();
  EXPECT_EQ(render(r).value("kafka_psc_proxy_node_endpoints_dropped_total"), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_discovery_age_seconds"), "+Inf");
  EXPECT_EQ(e.find("kafka_psc_proxy_build_info")[0]->labels.count("version"), 1u);
  // Per-API families declare themselves but have no series until something is counted.
  EXPECT_EQ(e.type["kafka_psc_proxy_requests_total"], "counter");
  EXPECT_TRUE(e.find("kafka_psc_proxy_requests_total").empty());
  // Every cause and reason is present from the start, at zero.
  EXPECT_EQ(e.find("kafka_psc_proxy_protocol_errors_total").size(), protocol_error_cause_count);
  EXPECT_EQ(e.find("kafka_psc_proxy_sessions_closed_total").size(), close_reason_count);
  EXPECT_EQ(e.value("kafka_psc_proxy_protocol_errors_total", {{"cause", "sasl_mechanism_unsupported"}}),
            "0");
  // No keepalive info until set.
  EXPECT_FALSE(e.type.contains("kafka_psc_proxy_keepalive_info"));
}

TEST(Metrics, PerApiSeriesOnlyWhenNonZeroAndOtherBucket) {
  registry r;
  r.count_request(3);
  r.count_request(3);
  r.count_request(127);
  r.count_request(128);  // beyond the table: "other"
  r.count_request(-1);   // garbage key: "other"
  r.count_rewrite(3);
  r.count_rewrite_failure(10);
  auto e = render(r);
  EXPECT_EQ(e.find("kafka_psc_proxy_requests_total").size(), 3u);
  EXPECT_EQ(e.value("kafka_psc_proxy_requests_total", {{"api_key", "3"}}), "2");
  EXPECT_EQ(e.value("kafka_psc_proxy_requests_total", {{"api_key", "127"}}), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_requests_total", {{"api_key", "other"}}), "2");
  EXPECT_EQ(e.value("kafka_psc_proxy_rewrites_total", {{"api_key", "3"}}), "1");
  EXPECT_EQ(e.find("kafka_psc_proxy_rewrites_total").size(), 1u);
  EXPECT_EQ(e.value("kafka_psc_proxy_rewrite_failures_total", {{"api_key", "10"}}), "1");
  EXPECT_EQ(r.requests(3), 2u);
  EXPECT_EQ(r.requests(30000), 2u);
}

TEST(Metrics, ListenerSeriesCarryTheirLabels) {
  registry r;
  auto broker = r.listener({listener_kind::broker, 19092, 7});
  auto boot = r.listener({listener_kind::bootstrap, 9092, std::nullopt});
  EXPECT_EQ(r.listener({listener_kind::broker, 19092, 7}), broker) << "same labels, same object";
  {
    connection_guard g1(broker);
    connection_guard g2(broker);
    connection_guard g3(boot);
    broker->bytes_client_to_upstream.add(100);
    broker->bytes_upstream_to_client.add(5000);
    auto e = render(r);
    std::map<std::string, std::string> bl{
        {"listener", "broker"}, {"port", "19092"}, {"node_id", "7"}};
    std::map<std::string, std::string> sl{
        {"listener", "bootstrap"}, {"port", "9092"}, {"node_id", ""}};
    EXPECT_EQ(e.value("kafka_psc_proxy_listener_connections_open", bl), "2");
    EXPECT_EQ(e.value("kafka_psc_proxy_listener_connections_open", sl), "1");
    EXPECT_EQ(e.value("kafka_psc_proxy_listener_client_to_upstream_bytes_total", bl), "100");
    EXPECT_EQ(e.value("kafka_psc_proxy_listener_upstream_to_client_bytes_total", bl), "5000");
    EXPECT_EQ(e.value("kafka_psc_proxy_listener_upstream_to_client_bytes_total", sl), "0");
  }
  EXPECT_EQ(broker->connections.open(), 0);
  EXPECT_EQ(broker->connections.total(), 2u);
}

TEST(Metrics, ConnectionGuardMoveCountsOnce) {
  registry r;
  auto l = r.listener({listener_kind::broker, 1, 1});
  {
    connection_guard a(l);
    connection_guard b(std::move(a));
    connection_guard c;
    c = std::move(b);
    EXPECT_EQ(l->connections.open(), 1);
  }
  EXPECT_EQ(l->connections.open(), 0);
  EXPECT_EQ(l->connections.total(), 1u);
}

TEST(Metrics, LabelValuesAreEscaped) {
  registry r;
  const std::string nasty = "a\"b\\c\nd";
  connection_guard g(r.psc_connection(nasty));
  r.set_keepalive_info({{"idle", "60s"}, {"note", "say \"hi\"\\"}});
  std::string out;
  r.render_prometheus(out);
  EXPECT_NE(out.find(R"(psc_connection_id="a\"b\\c\nd")"), std::string::npos) << out;
  auto e = parse(out);
  EXPECT_EQ(e.value("kafka_psc_proxy_psc_connections_open", {{"psc_connection_id", nasty}}), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_psc_connections_total", {{"psc_connection_id", nasty}}), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_keepalive_info", {{"idle", "60s"}, {"note", "say \"hi\"\\"}}),
            "1");
}

TEST(Metrics, HelpTextEscaping) {
  std::string out;
  prom::append_family(out, "x", "gauge", "a\\b\nc \"q\"");
  EXPECT_EQ(out,
            "# HELP kafka_psc_proxy_x a\\\\b\\nc \"q\"\n"
            "# TYPE kafka_psc_proxy_x gauge\n");
}

TEST(Metrics, PscConnectionIdsAreBounded) {
  registry r;
  std::vector<std::shared_ptr<psc_connection_metrics>> held;
  std::vector<connection_guard> open;  // every id has a connection open: none can be evicted
  for (std::size_t i = 0; i < registry::max_psc_connection_ids + 10; ++i) {
    held.push_back(r.psc_connection("id-" + std::to_string(i)));
    open.emplace_back(held.back());
  }
  EXPECT_EQ(held.back()->id(), "_overflow");
  EXPECT_EQ(held[registry::max_psc_connection_ids - 1]->id(),
            "id-" + std::to_string(registry::max_psc_connection_ids - 1));
  auto e = render(r);
  EXPECT_EQ(e.find("kafka_psc_proxy_psc_connections_total").size(),
            registry::max_psc_connection_ids + 1);
  // Ids registered before the cap keep their own series.
  EXPECT_EQ(r.psc_connection("id-0"), held[0]);
}

TEST(Metrics, DiscoveryAgeAndTimestamp) {
  registry r;
  auto mono = std::chrono::steady_clock::now();
  auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  EXPECT_FALSE(r.discovery_age(mono).has_value());
  r.discovery_succeeded(wall, mono);
  r.set_broker_count(3);
  r.count_discovery_failure();
  r.count_port_map_change();
  r.count_port_collision();
  r.count_broker_out_of_port_range();
  std::string out;
  r.render_prometheus(out, mono + std::chrono::milliseconds(2500));
  auto e = parse(out);
  EXPECT_EQ(e.value("kafka_psc_proxy_discovery_age_seconds"), "2.5");
  EXPECT_EQ(e.value("kafka_psc_proxy_discovery_last_success_timestamp_seconds"), "1700000000");
  EXPECT_EQ(e.value("kafka_psc_proxy_brokers"), "3");
  EXPECT_EQ(e.value("kafka_psc_proxy_discovery_failures_total"), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_port_map_changes_total"), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_port_collisions_total"), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_brokers_out_of_port_range_total"), "1");
}

TEST(Metrics, ReadyBuildInfoAndCauses) {
  registry r;
  r.set_ready(true);
  r.set_build_info({{"version", "1.2.3"}});
  r.count_protocol_error(protocol_error_cause::correlation_mismatch);
  r.count_session_closed(close_reason::idle_timeout);
  r.count_dial_error();
  auto e = render(r);
  EXPECT_EQ(e.value("kafka_psc_proxy_ready"), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_build_info", {{"version", "1.2.3"}}), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_protocol_errors_total", {{"cause", "correlation_mismatch"}}),
            "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_sessions_closed_total", {{"reason", "idle_timeout"}}), "1");
  EXPECT_EQ(e.value("kafka_psc_proxy_upstream_dial_errors_total"), "1");
}

TEST(Metrics, EnumNamesAreDistinctIdentifiers) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < protocol_error_cause_count; ++i)
    EXPECT_TRUE(seen.insert(to_string(static_cast<protocol_error_cause>(i))).second);
  EXPECT_EQ(to_string(protocol_error_cause::frame_too_large), "frame_too_large");
  EXPECT_EQ(to_string(protocol_error_cause::sasl_mechanism_unsupported), "sasl_mechanism_unsupported");
  EXPECT_EQ(to_string(close_reason::shutdown), "shutdown");
}

TEST(Metrics, CountsFromManyThreadsAddUp) {
  registry r;
  auto l = r.listener({listener_kind::broker, 19093, 3});
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        connection_guard g(l);
        r.count_request(static_cast<std::int16_t>(10 + t));
        r.count_request(1);
        l->bytes_client_to_upstream.add(3);
        r.count_protocol_error(protocol_error_cause::frame_too_large);
        // A renderer racing the writers must still see a well-formed exposition.
        if (i % 5000 == 0) {
          std::string out;
          r.render_prometheus(out);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  auto e = render(r);
  EXPECT_EQ(e.value("kafka_psc_proxy_requests_total", {{"api_key", "10"}}),
            std::to_string(per_thread));
  EXPECT_EQ(e.value("kafka_psc_proxy_requests_total", {{"api_key", "1"}}),
            std::to_string(per_thread * threads));
  std::map<std::string, std::string> ll{
      {"listener", "broker"}, {"port", "19093"}, {"node_id", "3"}};
  EXPECT_EQ(e.value("kafka_psc_proxy_listener_client_to_upstream_bytes_total", ll),
            std::to_string(3 * threads * per_thread));
  EXPECT_EQ(e.value("kafka_psc_proxy_listener_connections_total", ll),
            std::to_string(threads * per_thread));
  EXPECT_EQ(e.value("kafka_psc_proxy_listener_connections_open", ll), "0");
  EXPECT_EQ(e.value("kafka_psc_proxy_protocol_errors_total", {{"cause", "frame_too_large"}}),
            std::to_string(threads * per_thread));
}

}  // namespace
}  // namespace kpp::admin

namespace kpp::admin {
namespace {

TEST(PrometheusText, SampleValueFormats) {
  const prom::label l[] = {{"a", "b"}};
  std::string out;
  prom::append_sample(out, "x", {}, std::uint64_t{18446744073709551615u});
  prom::append_sample(out, "x", l, std::int64_t{-3});
  prom::append_sample(out, "x", {}, 0.25);
  prom::append_sample(out, "x", {}, 1e300);
  prom::append_sample(out, "x", {}, -std::numeric_limits<double>::infinity());
  prom::append_sample(out, "x", {}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out,
            "kafka_psc_proxy_x 18446744073709551615\n"
            "kafka_psc_proxy_x{a=\"b\"} -3\n"
            "kafka_psc_proxy_x 0.25\n"
            "kafka_psc_proxy_x 1e+300\n"
            "kafka_psc_proxy_x -Inf\n"
            "kafka_psc_proxy_x NaN\n");
}

}  // namespace
}  // namespace kpp::admin
