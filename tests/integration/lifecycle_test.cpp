// Process lifecycle of the real binary: SIGTERM drains (ready goes 503, listeners close,
// in-flight requests are answered, exit 0), a second SIGTERM exits at once, SIGHUP reloads
// what it can without dropping connections and says what needs a restart.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include "support/kafka_clients.h"
#include "support/kafka_raw.h"
#include "support/metrics_scrape.h"
#include "support/mock_cluster.h"  // rdkafka.h, then rdkafka_mock.h
#include "support/poll.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;

constexpr std::int16_t api_versions_key = 18;
constexpr std::int16_t metadata_key = 3;

std::size_t count_of(const std::string& text, const std::string& piece) {
  std::size_t n = 0;
  for (auto at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) ++n;
  return n;
}

bool wait_count(const proxy_process& p, const std::string& piece, std::size_t n,
                std::chrono::milliseconds timeout = 10s) {
  return poll_until([&] { return count_of(p.output(), piece) >= n; }, timeout);
}

std::string requests_series(std::int16_t key) {
  return "kafka_psc_proxy_requests_total{api_key=\"" + std::to_string(key) + "\"}";
}

double requests_seen(std::uint16_t admin_port, std::int16_t key) {
  // -1 (never reached by a counter) when the family is gone, so the waits below fail.
  return scrape_counter(admin_port, requests_series(key)).value_or(-1);
}

// One ApiVersions v0 round trip: true when the answer carries `correlation_id`.
bool api_versions_ok(raw_client& c, std::int32_t correlation_id) {
  if (!c.send(request_frame(api_versions_key, 0, correlation_id))) return false;
  auto frame = c.read_frame(5s);
  return frame && frame->size() >= 4 && get_i32(*frame, 0) == correlation_id;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// A mock cluster and a node-id proxy in front of it.
struct fixture {
  mock_cluster mock{3};
  node_id_proxy setup;
  std::optional<proxy_process> proxy;

  explicit fixture(const std::string& extra_yaml = "") {
    mock.create_topic("lifecycle", 3);
    setup = node_id_proxy::for_cluster(mock.bootstraps(), 3);
    setup.extra_yaml = extra_yaml;
    proxy.emplace(proxy_process::with_yaml(setup.yaml()));
  }
  bool ready() { return proxy->wait_ready(setup.admin_port); }

  // Sends an ApiVersions request to broker 1's listener, whose answer the mock holds back
  // for `rtt`, and returns once the proxy has counted (so forwarded) it: the request is in
  // flight in the proxy, not merely in a socket buffer.
  std::unique_ptr<raw_client> hold_request(int rtt_ms, std::int32_t correlation_id) {
    auto c = std::make_unique<raw_client>(setup.broker_port(1));
    EXPECT_TRUE(c->connected());
    EXPECT_TRUE(api_versions_ok(*c, correlation_id - 1)) << "session not established";
    const double before = requests_seen(setup.admin_port, api_versions_key);
    EXPECT_GE(before, 0) << "kafka_psc_proxy_requests_total is not exported";
    rd_kafka_mock_broker_set_rtt(mock.get(), 1, rtt_ms);
    EXPECT_TRUE(c->send(request_frame(api_versions_key, 0, correlation_id)));
    EXPECT_TRUE(poll_until(
        [&] { return requests_seen(setup.admin_port, api_versions_key) >= before + 1; }, 5s))
        << "the proxy never counted the held request";
    return c;
  }
};

std::string drain_yaml(const std::string& drain) {
  return "timeouts:\n  drain: " + drain + "\n";
}

TEST(Lifecycle, SigtermWithAConsumerConnectedDrainsAndExitsZero) {
  fixture f(drain_yaml("20s"));
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  {
    producer prod(f.setup.bootstrap());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(prod.produce("lifecycle", test_key("lc", i), test_value("lc", i)));
    ASSERT_TRUE(prod.flush(20s)) << prod.last_error();
  }
  // Quiet: once the proxy is gone the client logs every refused reconnect.
  consumer cons(f.setup.bootstrap(), "lifecycle-group", {{"log_level", "0"}});
  ASSERT_TRUE(cons.subscribe({"lifecycle"}));
  ASSERT_EQ(cons.poll_records(20, 30s).size(), 20u) << "consumer not up through the proxy";

  // Keeps the process in its drain long enough to look at it from outside.
  auto held = f.hold_request(2000, 2);
  f.proxy->signal(SIGTERM);

  EXPECT_TRUE(poll_until([&] { return http_get(f.setup.admin_port, "/ready").status == 503; }, 5s))
      << "/ready did not turn 503 while draining\n"
      << f.proxy->output();
  EXPECT_TRUE(poll_until(
      [&] {
        raw_client probe(f.setup.bootstrap_port);
        raw_client probe_broker(f.setup.broker_port(2));
        return !probe.connected() && !probe_broker.connected();
      },
      5s))
      << "new connections are still accepted while draining";

  auto answer = held->read_frame(15s);
  ASSERT_TRUE(answer) << "the in-flight request was not answered\n" << f.proxy->output();
  EXPECT_EQ(get_i32(*answer, 0), 2);

  const auto status = f.proxy->wait_exit(30s);  // drain 20 s + slack
  ASSERT_TRUE(status) << "did not exit within timeouts.drain\n" << f.proxy->output();
  EXPECT_EQ(*status, 0) << f.proxy->output();
  const auto out = f.proxy->output();
  EXPECT_NE(out.find("shutting down"), std::string::npos) << out;
  EXPECT_NE(out.find("drained; exiting"), std::string::npos) << out;
  EXPECT_EQ(out.find("drain timeout"), std::string::npos) << out;
}

TEST(Lifecycle, SigtermAnswersARequestInFlightBeforeExiting) {
  fixture f(drain_yaml("20s"));
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  auto held = f.hold_request(1000, 7);
  f.proxy->signal(SIGTERM);
  ASSERT_TRUE(f.proxy->wait_for_output("shutting down", 5s)) << f.proxy->output();

  // A process that exited without answering closes the socket: read_frame returns nothing.
  auto answer = held->read_frame(15s);
  ASSERT_TRUE(answer) << f.proxy->output();
  EXPECT_EQ(get_i32(*answer, 0), 7);
  EXPECT_TRUE(held->closed_by_peer(10s)) << "drained connection left open";

  const auto status = f.proxy->wait_exit(30s);
  ASSERT_TRUE(status) << f.proxy->output();
  EXPECT_EQ(*status, 0) << f.proxy->output();
  EXPECT_NE(f.proxy->output().find("drained; exiting"), std::string::npos) << f.proxy->output();
}

TEST(Lifecycle, SecondSigtermDuringALongDrainExitsAtOnce) {
  fixture f(drain_yaml("120s"));
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  auto held = f.hold_request(60000, 3);  // would keep the drain busy for a minute
  f.proxy->signal(SIGTERM);
  ASSERT_TRUE(f.proxy->wait_for_output("shutting down", 5s)) << f.proxy->output();
  ASSERT_TRUE(f.proxy->running()) << "exited before the second signal\n" << f.proxy->output();

  f.proxy->signal(SIGTERM);
  const auto status = f.proxy->wait_exit(10s);  // far below the 60 s the request is held
  ASSERT_TRUE(status) << "second SIGTERM did not end the drain\n" << f.proxy->output();
  EXPECT_EQ(*status, 0) << f.proxy->output();
  EXPECT_NE(f.proxy->output().find("second signal"), std::string::npos) << f.proxy->output();
  rd_kafka_mock_broker_set_rtt(f.mock.get(), 1, 0);
}

TEST(Lifecycle, SighupReloadsLogLevelAndForbiddenKeysKeepingConnections) {
  fixture f;
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  raw_client kept(f.setup.bootstrap_port);
  std::string error;
  ASSERT_TRUE(metadata_round_trip(kept, 1, 1, &error)) << error;
  // At info, a connection leaves no "connected to" line (it is a debug line).
  EXPECT_EQ(f.proxy->output().find("connected to"), std::string::npos) << f.proxy->output();

  auto yaml = f.setup.yaml();
  const auto at = yaml.find("level: info");
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, 11, "level: debug");
  yaml += "forbidden_api_keys: [3]\n";
  write_file(f.proxy->config_path(), yaml);
  f.proxy->signal(SIGHUP);
  ASSERT_TRUE(f.proxy->wait_for_output("SIGHUP: reloaded", 10s)) << f.proxy->output();
  const auto out = f.proxy->output();
  for (const char* what : {"log level", "forbidden_api_keys"})
    EXPECT_NE(out.find(what), std::string::npos) << "reload log does not name " << what << "\n"
                                                 << out;
  EXPECT_EQ(out.find("restart needed"), std::string::npos) << out;

  // A new connection: Metadata is now refused; the debug level shows the connection.
  raw_client fresh(f.setup.bootstrap_port);
  ASSERT_TRUE(fresh.connected());
  ASSERT_TRUE(fresh.send(request_frame(metadata_key, 1, 1, metadata_request_body(1))));
  EXPECT_FALSE(fresh.read_frame(5s)) << "forbidden Metadata was answered";
  EXPECT_TRUE(f.proxy->wait_for_output("connected to", 5s)) << "log level not debug\n"
                                                            << f.proxy->output();
  EXPECT_TRUE(f.proxy->wait_for_output("forbidden API key 3", 5s)) << f.proxy->output();

  // The connection opened before the reload is still there and still works...
  EXPECT_TRUE(api_versions_ok(kept, 2)) << "connection dropped by the reload\n"
                                        << f.proxy->output();
  EXPECT_TRUE(api_versions_ok(kept, 3));
  // ... and the new rule applies to its next request too.
  ASSERT_TRUE(kept.send(request_frame(metadata_key, 1, 4, metadata_request_body(1))));
  EXPECT_FALSE(kept.read_frame(5s));
  EXPECT_EQ(http_get(f.setup.admin_port, "/ready").status, 200);
}

TEST(Lifecycle, SighupNamesKeysThatNeedARestart) {
  fixture f;
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  raw_client kept(f.setup.bootstrap_port);
  ASSERT_TRUE(api_versions_ok(kept, 1));
  write_file(f.proxy->config_path(), f.setup.yaml() + "limits:\n  max_connections: 123\n");
  f.proxy->signal(SIGHUP);
  ASSERT_TRUE(f.proxy->wait_for_output("SIGHUP: reloaded", 10s)) << f.proxy->output();
  EXPECT_TRUE(f.proxy->wait_for_output("restart needed for: limits", 2s)) << f.proxy->output();
  EXPECT_TRUE(api_versions_ok(kept, 2)) << f.proxy->output();
  EXPECT_EQ(http_get(f.setup.admin_port, "/ready").status, 200);
}

TEST(Lifecycle, SighupWithInvalidYamlKeepsTheRunningConfig) {
  fixture f("forbidden_api_keys: [3]\n");
  ASSERT_TRUE(f.ready()) << f.proxy->output();
  raw_client kept(f.setup.bootstrap_port);
  ASSERT_TRUE(api_versions_ok(kept, 1));

  write_file(f.proxy->config_path(), "brokers: [this is not\n  valid: yaml\n");
  f.proxy->signal(SIGHUP);
  ASSERT_TRUE(f.proxy->wait_for_output("SIGHUP: keeping the running configuration", 10s))
      << f.proxy->output();
  EXPECT_TRUE(f.proxy->running());
  EXPECT_EQ(http_get(f.setup.admin_port, "/ready").status, 200);
  EXPECT_TRUE(api_versions_ok(kept, 2)) << f.proxy->output();
  {
    raw_client fresh(f.setup.bootstrap_port);  // the old forbidden list still applies
    ASSERT_TRUE(fresh.send(request_frame(metadata_key, 1, 1, metadata_request_body(1))));
    EXPECT_FALSE(fresh.read_frame(5s)) << "running config lost: Metadata answered";
  }

  // A valid file afterwards is applied: the failed reload left reloading working.
  auto without_forbidden = f.setup;
  without_forbidden.extra_yaml.clear();
  write_file(f.proxy->config_path(), without_forbidden.yaml());
  f.proxy->signal(SIGHUP);
  ASSERT_TRUE(wait_count(*f.proxy, "SIGHUP: reloaded", 1)) << f.proxy->output();
  raw_client after(f.setup.bootstrap_port);
  std::string error;
  EXPECT_TRUE(metadata_round_trip(after, 1, 1, &error)) << error << "\n" << f.proxy->output();
}

}  // namespace
}  // namespace kpp::test
