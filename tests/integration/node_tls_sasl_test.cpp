// @platformatic/kafka (a current pure-JavaScript client) through the proxy over TLS, with SASL
// and with SNI routing, each case producing and consuming real records against kfake:
// TLS->TLS (and mTLS on the client leg), SASL_SSL pass-through with SCRAM-SHA-512, the
// proxy's own upstream login (the client has no credentials), client logins at the proxy
// (right password, wrong password, unknown user) over TLS, and `routing: sni` on one port
// with the client's own name lookup sending every *.kpp.test name to 127.0.0.1.
// tests/node/secure.mjs does the Kafka work and prints one JSON line; this test judges it:
// every address the client learned or dialed is the proxy's, never a broker's.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/node_runner.h"
#include "support/poll.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;
namespace pt = boost::property_tree;

// get_child(path, default) returns a reference: the default must outlive the loop.
const pt::ptree no_children;

constexpr const char* broker_user = "kafkauser";
constexpr const char* broker_password = "kafka-secret";

// A JSON string literal for `s` (paths, names and passwords of the test).
std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// What the script was given, as JSON fields.
struct node_options {
  std::string bootstrap;
  std::string topic;
  std::string group;
  int count = 60;
  std::string ca;         // TLS to the proxy, trusting this CA
  std::string cert, key;  // mTLS
  bool sni = false;
  std::string resolve_suffix;  // names under it resolve to 127.0.0.1
  std::string sasl_mechanism, sasl_user, sasl_password;
  bool expect_refused = false;

  [[nodiscard]] std::string json() const {
    std::string j = "{\"bootstrap\":" + json_str(bootstrap) + ",\"topic\":" + json_str(topic) +
                    ",\"group\":" + json_str(group) + ",\"count\":" + std::to_string(count);
    if (!ca.empty()) {
      j += ",\"tls\":{\"ca\":" + json_str(ca);
      if (!cert.empty()) j += ",\"cert\":" + json_str(cert) + ",\"key\":" + json_str(key);
      j += "}";
    }
    if (sni) j += ",\"sni\":true";
    if (!resolve_suffix.empty())
      j += ",\"resolve\":{\"suffix\":" + json_str(resolve_suffix) + ",\"address\":\"127.0.0.1\"}";
    if (!sasl_mechanism.empty())
      j += ",\"sasl\":{\"mechanism\":" + json_str(sasl_mechanism) +
           ",\"username\":" + json_str(sasl_user) + ",\"password\":" + json_str(sasl_password) +
           "}";
    if (expect_refused) j += ",\"expect\":\"refused\"";
    return j + "}";
  }
};

struct node_result {
  int status = -1;
  pt::ptree json;
  std::string out, err;
};

std::set<std::string> strings(const pt::ptree& json, const std::string& path) {
  std::set<std::string> s;
  for (const auto& [k, v] : json.get_child(path, no_children)) s.insert(v.data());
  return s;
}

std::set<long> numbers(const pt::ptree& json, const std::string& path) {
  std::set<long> s;
  for (const auto& [k, v] : json.get_child(path, no_children)) s.insert(std::stol(v.data()));
  return s;
}

class NodeTlsSasl : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    KPP_REQUIRE_NODE(node_);
    KPP_REQUIRE_TOOL(run_quietly("openssl version"), "openssl", "apt-get install openssl");
    ASSERT_TRUE(certs_.ok());
    ASSERT_TRUE(certs_.make_ca("ca"));
    ASSERT_TRUE(certs_.make_server("ca", "broker", 1001));
    ASSERT_TRUE(certs_.make_server("ca", "listener", 1002));
    ASSERT_TRUE(certs_.make_server("ca", "client", 1003));        // the node client's, for mTLS
    ASSERT_TRUE(certs_.make_server("ca", "proxy-client", 1005));  // the proxy's, to the brokers
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }

  // Three kfake brokers, TLS (SSL or SASL_SSL) unless `tls` is false; `mtls`: they require a
  // client certificate from the test CA.
  void start_cluster(const std::string& topic, bool tls, std::vector<std::string> sasl = {},
                     bool mtls = false) {
    kfake_options o;
    o.brokers = 3;
    o.topics = topic;
    o.sasl = std::move(sasl);
    if (tls)
      o.extra_args = {"-tls-cert", certs_.path("broker.pem"), "-tls-key",
                      certs_.path("broker.key")};
    if (mtls) o.extra_args.insert(o.extra_args.end(), {"-tls-client-ca", certs_.path("ca.pem")});
    cluster_ = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
  }

  // The node-id proxy in front of the cluster with `extra` YAML sections; waits for /ready
  // unless `wait_ready` is false (then for the listeners).
  void start_proxy(const std::string& extra, bool wait_ready = true) {
    p_ = node_id_proxy::for_cluster(cluster_->address(0), 2);
    p_.extra_yaml = "timeouts:\n  dial: 3s\n  drain: 2s\n" + extra;
    proxy_ = std::make_unique<proxy_process>(proxy_process::with_yaml(p_.yaml()));
    if (wait_ready) {
      ASSERT_TRUE(proxy_->wait_ready(p_.admin_port)) << proxy_->output();
    } else {
      ASSERT_TRUE(proxy_->wait_for_output(
          "bootstrap listener on 127.0.0.1:" + std::to_string(p_.bootstrap_port), 10s))
          << proxy_->output();
    }
  }

  // The client-facing TLS block (the listener certificate; mTLS when `client_ca`).
  [[nodiscard]] std::string listener_tls(bool client_ca = false) const {
    std::string y = "tls:\n  cert_file: " + certs_.path("listener.pem") +
                    "\n  key_file: " + certs_.path("listener.key") + "\n  refresh: 0s\n";
    if (client_ca) y += "  client_ca_file: " + certs_.path("ca.pem") + "\n  client_auth: require\n";
    return y;
  }
  // upstream.tls trusting the test CA; `more` follows its keys (indented 4: more upstream.tls
  // keys; 2: upstream keys such as sasl).
  [[nodiscard]] std::string upstream_tls(const std::string& more = "") const {
    return "upstream:\n  tls:\n    enabled: true\n    ca_file: " + certs_.path("ca.pem") +
           "\n    refresh: 0s\n" + more;
  }
  // A file readable by its owner only, as the proxy insists for secrets.
  std::string secret_file(const std::string& name, const std::string& content) {
    const auto path = certs_.path(name);
    std::ofstream(path) << content << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  [[nodiscard]] node_options tls_client(const std::string& topic) const {
    node_options o;
    o.bootstrap = p_.bootstrap();
    o.topic = topic;
    o.group = "g-" + topic;
    o.ca = certs_.path("ca.pem");
    return o;
  }

  // Runs secure.mjs with `o` (bounded) and parses its JSON line.
  node_result run(const node_options& o, std::chrono::seconds bound = 120s) {
    node_result r;
    const auto run = run_bounded({node_, node_dir() + "/secure.mjs", o.json()}, bound);
    r.status = run.status;
    r.out = run.out;
    r.err = run.err;
    EXPECT_NE(run.status, -1000) << "node script timed out\n" << run.err;
    std::istringstream in(run.out);
    try {
      pt::read_json(in, r.json);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "no JSON from the script (" << e.what() << "): " << run.out << "\n"
                    << run.err;
    }
    std::printf("node secure.mjs: %s\n", run.out.substr(0, 700).c_str());
    return r;
  }

  // A produce/consume run went through, and every address the client saw is `allowed`.
  void expect_round_trip(const node_result& r, const node_options& o,
                         const std::function<bool(const std::string& host, int port)>& allowed) {
    ASSERT_EQ(r.status, 0) << r.json.get("error", std::string()) << "\n"
                           << r.err << "\n"
                           << (proxy_ ? proxy_->output() : "");
    EXPECT_EQ(strings(r.json, "steps"),
              (std::set<std::string>{"metadata", "produce", "consume+commit", "offsets"}));
    const auto check = [&](const std::string& a, const std::string& where) {
      const auto colon = a.rfind(':');
      ASSERT_NE(colon, std::string::npos) << a;
      const int port = std::atoi(a.c_str() + colon + 1);
      EXPECT_TRUE(allowed(a.substr(0, colon), port)) << where << ": " << a;
      EXPECT_FALSE(cluster_->is_broker_port(port)) << where << ": real broker " << a << " leaked";
    };
    const auto learned = strings(r.json, "learned"), dialed = strings(r.json, "dialed");
    for (const auto& a : learned) check(a, "learned");
    for (const auto& a : dialed) check(a, "dialed");
    EXPECT_GE(learned.size(), 3u);
    EXPECT_GE(dialed.size(), 2u);
    std::set<int> ids;
    for (const auto& [k, b] : r.json.get_child("metadata", no_children)) {
      ids.insert(b.get<int>("id"));
      check(b.get<std::string>("host") + ":" + b.get<std::string>("port"), "metadata");
    }
    EXPECT_EQ(ids, (std::set<int>{0, 1, 2}));
    for (const auto& [k, c] : r.json.get_child("findCoordinator", no_children))
      check(c.get<std::string>("host") + ":" + c.get<std::string>("port"), "FindCoordinator");
    EXPECT_EQ(r.json.get_child("findCoordinator", no_children).size(), 1u);
    // With TLS to the proxy, every connection verified the proxy's certificate.
    if (!o.ca.empty()) {
      const auto& tls = r.json.get_child("tls", no_children);
      EXPECT_GE(tls.size(), dialed.size());
      for (const auto& [k, t] : tls) {
        EXPECT_EQ(t.get<std::string>("authorized"), "true") << t.get<std::string>("host");
        EXPECT_EQ(t.get<std::string>("remote"), "127.0.0.1");
        check(t.get<std::string>("host") + ":" + t.get<std::string>("port"), "TLS connection");
      }
    }
    // Every record back exactly once, and committed.
    std::multiset<std::string> consumed;
    for (const auto& [k, v] : r.json.get_child("consumed", no_children)) consumed.insert(v.data());
    EXPECT_EQ(consumed.size(), static_cast<std::size_t>(o.count));
    for (int i = 0; i < o.count; ++i)
      EXPECT_EQ(consumed.count("node-" + std::to_string(i)), 1u) << i;
    long committed = 0;
    for (const auto& [k, c] : r.json.get_child("committed", no_children))
      if (c.get<std::string>("topic") == o.topic) committed += c.get<long>("offset");
    EXPECT_EQ(committed, o.count);
  }

  // The proxy's node-id ports, addressed as 127.0.0.1.
  [[nodiscard]] std::function<bool(const std::string&, int)> proxy_addresses() const {
    return [this](const std::string& host, int port) {
      return host == "127.0.0.1" && (port == p_.bootstrap_port ||
                                     (port >= p_.base_port && port < p_.base_port + p_.port_range));
    };
  }

  [[nodiscard]] double metric(const std::string& series) const {
    const auto v = metric_sum(p_.admin_port, series);
    EXPECT_TRUE(v.has_value()) << series << " is not exported";
    return v.value_or(-1);
  }

  std::string node_;
  cert_dir certs_;
  std::unique_ptr<kfake_cluster> cluster_;
  node_id_proxy p_;
  std::unique_ptr<proxy_process> proxy_;
};

// mTLS on both legs: the client presents its certificate to the proxy, the proxy its own to
// the brokers.
TEST_F(NodeTlsSasl, MutualTlsOnBothLegs) {
  start_cluster("node-mtls", true, {}, true);
  start_proxy(listener_tls(true) +
              upstream_tls("    cert_file: " + certs_.path("proxy-client.pem") +
                           "\n    key_file: " + certs_.path("proxy-client.key") + "\n"));
  auto o = tls_client("node-mtls");
  o.cert = certs_.path("client.pem");
  o.key = certs_.path("client.key");
  expect_round_trip(run(o), o, proxy_addresses());
  EXPECT_EQ(metric("kafka_psc_proxy_tls_handshake_failures_total"), 0);
  // What makes the run above meaningful: without a client certificate the proxy refuses.
  auto without = tls_client("node-mtls");
  without.count = 1;
  const auto r = run(without, 60s);
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_GE(metric("kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                   "cause=\"client_cert_missing\"}"),
            1)
      << proxy_->output();
}

// Each leg on its own: TLS or plaintext to the proxy, TLS or plaintext to the brokers, and
// SASL pass-through inside (the client logs in to the brokers themselves, SCRAM-SHA-512,
// through a proxy that has no SASL configuration): SASL_SSL, SASL_PLAINTEXT, and each mix.
struct legs {
  bool client_tls;
  bool broker_tls;
  bool sasl;
  const char* name;
};

// The case's name in gtest's output, instead of its bytes.
void PrintTo(const legs& l, std::ostream* os) {
  *os << l.name;
}

class NodeLegs : public NodeTlsSasl, public ::testing::WithParamInterface<legs> {};

TEST_P(NodeLegs, ProducesAndConsumesAndSeesOnlyProxyAddresses) {
  const auto l = GetParam();
  const std::string topic = std::string("node-") + l.name;
  std::vector<std::string> sasl;
  if (l.sasl) sasl.push_back(std::string("SCRAM-SHA-512:") + broker_user + ":" + broker_password);
  start_cluster(topic, l.broker_tls, sasl);
  // With a SASL-only cluster the proxy's own discovery cannot log in (it has no credentials
  // in pass-through): it is not ready, but serves, binding brokers as responses name them.
  start_proxy((l.client_tls ? listener_tls() : "") + (l.broker_tls ? upstream_tls() : ""), !l.sasl);
  auto o = tls_client(topic);
  if (!l.client_tls) o.ca.clear();
  if (l.sasl) {
    o.sasl_mechanism = "SCRAM-SHA-512";
    o.sasl_user = broker_user;
    o.sasl_password = broker_password;
  }
  expect_round_trip(run(o), o, proxy_addresses());
  EXPECT_EQ(metric("kafka_psc_proxy_tls_handshake_failures_total"), 0);
  EXPECT_EQ(metric("kafka_psc_proxy_protocol_errors_total"), 0);
  if (!l.sasl) return;
  // The client's logins reached kfake: SaslHandshake (17) and SaslAuthenticate (36).
  cluster_->stop();
  long handshakes = 0, authenticates = 0;
  for (const auto& [key_version, n] : cluster_->request_counts()) {
    if (key_version.first == 17) handshakes += n;
    if (key_version.first == 36) authenticates += n;
  }
  EXPECT_GT(handshakes, 0) << cluster_->request_summary();
  EXPECT_GT(authenticates, 0) << cluster_->request_summary();
}

INSTANTIATE_TEST_SUITE_P(
    Legs, NodeLegs,
    ::testing::Values(legs{true, true, false, "TlsToTls"},
                      legs{false, true, false, "PlaintextToTls"},
                      legs{true, false, false, "TlsToPlaintext"},
                      legs{true, true, true, "SaslSslPassThroughScramSha512"},
                      legs{false, true, true, "SaslPlaintextToSaslSslScramSha512"},
                      legs{true, false, true, "SaslSslToSaslPlaintextScramSha512"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// upstream.sasl: the proxy logs in (SCRAM-SHA-512, over upstream.tls) for a client that has
// TLS but no credentials.
TEST_F(NodeTlsSasl, UpstreamLoginForAClientWithoutCredentials) {
  start_cluster("node-sasl-up", true,
                {std::string("SCRAM-SHA-512:") + broker_user + ":" + broker_password});
  start_proxy(listener_tls() +
              upstream_tls(std::string("  sasl:\n    mechanism: SCRAM-SHA-512\n    username: ") +
                           broker_user + "\n    password_file: " +
                           secret_file("broker-password", broker_password) + "\n"));
  const auto o = tls_client("node-sasl-up");
  expect_round_trip(run(o), o, proxy_addresses());
  EXPECT_EQ(metric("kafka_psc_proxy_sessions_closed_total{reason=\"upstream_login_failed\"}"), 0);
  EXPECT_EQ(metric("kafka_psc_proxy_protocol_errors_total{cause=\"client_sasl_refused\"}"), 0);
}

// listeners.sasl over TLS (SASL_SSL to the proxy), users written by `kafka-psc-proxy users add`.
class NodeClientLogin : public NodeTlsSasl {
 protected:
  void SetUp() override {
    NodeTlsSasl::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    start_cluster("node-login", false);
    users_ = certs_.path("users");
    ASSERT_TRUE(users_add("alice", "alice-pw"));
    start_proxy(listener_tls() +
                "listeners:\n  sasl:\n    mechanisms: [SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]\n"
                "    users_file: " +
                users_ + "\n");
  }
  // `kafka-psc-proxy users add NAME` with the password piped in.
  bool users_add(const std::string& name, const std::string& password) const {
    return run_quietly("printf '%s\\n' '" + password + "' | " + proxy_binary() + " users add " +
                       name + " --file " + users_ + " --iterations 4096");
  }
  node_options as(const std::string& mechanism, const std::string& user,
                  const std::string& password, const std::string& topic) const {
    auto o = tls_client(topic);
    o.sasl_mechanism = mechanism;
    o.sasl_user = user;
    o.sasl_password = password;
    return o;
  }
  // A refused login: the client reports SASL_AUTHENTICATION_FAILED (58) from SaslAuthenticate.
  void expect_refused(const node_options& o) {
    auto refused = o;
    refused.expect_refused = true;
    const auto r = run(refused, 60s);
    ASSERT_EQ(r.status, 0) << "the login was not refused: " << r.out << "\n" << r.err;
    EXPECT_EQ(strings(r.json, "steps"), std::set<std::string>{"refused"});
    EXPECT_TRUE(numbers(r.json, "refusal.codes").count(58)) << r.out;
    EXPECT_TRUE(strings(r.json, "refusal.ids").count("SASL_AUTHENTICATION_FAILED")) << r.out;
    // It never got past the proxy: nothing but the proxy's address was dialed.
    for (const auto& a : strings(r.json, "dialed")) EXPECT_EQ(a, p_.bootstrap()) << r.out;
  }
  std::string users_;
};

TEST_F(NodeClientLogin, ScramSha512OverTlsProducesAndConsumes) {
  const auto o = as("SCRAM-SHA-512", "alice", "alice-pw", "node-login");
  expect_round_trip(run(o), o, proxy_addresses());
  EXPECT_GE(metric("kafka_psc_proxy_client_logins_total{outcome=\"success\"}"), 3);
  EXPECT_EQ(metric("kafka_psc_proxy_client_requests_before_login_total"), 0);
  EXPECT_TRUE(proxy_->wait_for_output("authenticated as \"alice\"", 5s)) << proxy_->output();
}

TEST_F(NodeClientLogin, PlainOverTlsProducesAndConsumes) {
  const auto o = as("PLAIN", "alice", "alice-pw", "node-login");
  expect_round_trip(run(o), o, proxy_addresses());
  EXPECT_GE(metric("kafka_psc_proxy_client_logins_total{outcome=\"success\"}"), 3);
}

TEST_F(NodeClientLogin, WrongPasswordIsRefusedWithSaslAuthenticationFailed) {
  for (const std::string mech : {"SCRAM-SHA-512", "PLAIN"}) {
    SCOPED_TRACE(mech);
    expect_refused(as(mech, "alice", "wrong-pw", "node-login"));
  }
  EXPECT_GE(metric("kafka_psc_proxy_client_logins_total{outcome=\"bad_password\"}"), 2);
  EXPECT_EQ(metric("kafka_psc_proxy_client_logins_total{outcome=\"success\"}"), 0);
}

TEST_F(NodeClientLogin, UnknownUserIsRefusedWithSaslAuthenticationFailed) {
  for (const std::string mech : {"SCRAM-SHA-512", "PLAIN"}) {
    SCOPED_TRACE(mech);
    expect_refused(as(mech, "mallory", "alice-pw", "node-login"));
  }
  EXPECT_GE(metric("kafka_psc_proxy_client_logins_total{outcome=\"unknown_user\"}"), 2);
  EXPECT_EQ(metric("kafka_psc_proxy_client_logins_total{outcome=\"success\"}"), 0);
}

// The users file is re-read when it changes (checked at most once a second, on a login): a
// user added while the proxy runs logs in, a changed password replaces the old one.
TEST_F(NodeClientLogin, AChangedUsersFileTakesEffect) {
  expect_refused(as("SCRAM-SHA-512", "bob", "bob-pw", "node-login"));
  ASSERT_TRUE(users_add("bob", "bob-pw"));
  ASSERT_TRUE(users_add("alice", "new-pw"));
  const auto o = as("SCRAM-SHA-512", "bob", "bob-pw", "node-login");
  node_result r;
  // The first login after the change may still meet the users read before it.
  ASSERT_TRUE(poll_until(
      [&] {
        r = run(o);
        return r.status == 0;
      },
      40s))
      << r.out << "\n"
      << proxy_->output();
  expect_round_trip(r, o, proxy_addresses());
  expect_refused(as("PLAIN", "alice", "alice-pw", "node-login"));
  EXPECT_TRUE(proxy_->wait_for_output("re-read: 2 user(s)", 5s)) << proxy_->output();
}

// routing: sni: one TLS port for the bootstrap name and the three brokers. The client dials
// boot.kpp.test and b{N}.kpp.test by name (its own lookup sends them to 127.0.0.1), so the
// server name it sends and the name it verifies are those names.
class NodeSni : public NodeTlsSasl {
 protected:
  void SetUp() override {
    NodeTlsSasl::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(certs_.make_server("ca", "wildcard", 1004, "DNS:*.kpp.test"));
    start_cluster("node-sni", false);
    port_ = free_port();
    while (p_.admin_port == 0 || p_.admin_port == port_) p_.admin_port = free_port();
    const std::string yaml =
        "listen: 127.0.0.1\nthreads: 2\nbootstrap:\n  servers: [" + cluster_->address(0) +
        "]\nbrokers:\n  advertised_host: b{node_id}.kpp.test\nrouting: sni\nsni:\n"
        "  listen: 127.0.0.1:" +
        std::to_string(port_) +
        "\n  bootstrap_host: boot.kpp.test\ndiscovery:\n  metadata_refresh: 1s\n"
        "timeouts:\n  drain: 2s\nadmin:\n  address: 127.0.0.1:" +
        std::to_string(p_.admin_port) + "\ntls:\n  cert_file: " + certs_.path("wildcard.pem") +
        "\n  key_file: " + certs_.path("wildcard.key") + "\n  refresh: 0s\n";
    proxy_ = std::make_unique<proxy_process>(proxy_process::with_yaml(yaml));
    ASSERT_TRUE(proxy_->wait_ready(p_.admin_port)) << proxy_->output();
  }
  [[nodiscard]] node_options by_name(const std::string& bootstrap_host) const {
    node_options o;
    o.bootstrap = bootstrap_host + ":" + std::to_string(port_);
    o.topic = "node-sni";
    o.group = "g-node-sni";
    o.ca = certs_.path("ca.pem");
    o.sni = true;
    o.resolve_suffix = ".kpp.test";
    return o;
  }
  std::uint16_t port_ = 0;
};

TEST_F(NodeSni, ProducesAndConsumesThroughOnePort) {
  const auto o = by_name("boot.kpp.test");
  const auto r = run(o);
  const std::set<std::string> names{"boot.kpp.test", "b0.kpp.test", "b1.kpp.test", "b2.kpp.test"};
  expect_round_trip(
      r, o, [&](const std::string& host, int p) { return p == port_ && names.count(host) == 1; });
  // Each connection sent the name it dialed as its server name, and reached the proxy.
  std::set<std::string> brokers_dialed;
  for (const auto& [k, t] : r.json.get_child("tls", no_children)) {
    EXPECT_EQ(t.get<std::string>("servername"), t.get<std::string>("host"));
    if (t.get<std::string>("host") != "boot.kpp.test")
      brokers_dialed.insert(t.get<std::string>("host"));
  }
  EXPECT_FALSE(brokers_dialed.empty()) << "only the bootstrap name was dialed";
  for (const auto& [k, a] : r.json.get_child("resolved", no_children))
    EXPECT_TRUE(names.count(a.get<std::string>("name"))) << a.get<std::string>("name");
  // The broker connections were routed by name: each counts under its node id.
  for (const auto& host : brokers_dialed) {
    const auto node = host.substr(1, host.find('.') - 1);
    EXPECT_GE(metric("kafka_psc_proxy_listener_connections_total{listener=\"broker\",port=\"" +
                     std::to_string(port_) + "\",node_id=\"" + node + "\"}"),
              1)
        << host;
  }
  EXPECT_EQ(metric("kafka_psc_proxy_tls_handshake_failures_total"), 0);
}

// A name the proxy does not serve ends the handshake with the alert unrecognized_name, which
// the client reports; nothing reaches a broker.
TEST_F(NodeSni, AWrongNameIsRefusedWithUnrecognizedName) {
  auto o = by_name("nope.kpp.test");
  o.expect_refused = true;
  const auto r = run(o, 60s);
  ASSERT_EQ(r.status, 0) << "the connection was not refused: " << r.out << "\n" << r.err;
  bool named = false;
  for (const auto& m : strings(r.json, "refusal.messages"))
    named = named || m.find("unrecognized name") != std::string::npos;
  EXPECT_TRUE(named) << r.out;
  EXPECT_TRUE(r.json.get_child("tls", no_children).empty()) << r.out;
  EXPECT_EQ(metric("kafka_psc_proxy_tls_handshake_failures_total{leg=\"client\","
                   "cause=\"unrecognized_name\"}"),
            1);
}

}  // namespace
}  // namespace kpp::test
