// listeners.sasl: clients log in to the proxy, against a users file written by
// `kafka-psc-proxy users add`, before anything goes upstream (a plaintext kfake here).
// franz-go (kgo-bench -sasl) with SCRAM-SHA-512 and PLAIN gets through with the right password
// and is refused with a wrong one; the login driver of auth/ (a second client implementation)
// sees SASL_AUTHENTICATION_FAILED for a wrong password and an unknown user; a request before
// login closes the connection; a changed users file takes effect without a restart.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <variant>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/sasl_login.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_header.h"
#include "support/kafka_raw.h"
#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/poll.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;
using auth::mechanism;

std::string kgo_bench() {
  if (const char* env = std::getenv("KPP_KGO_BENCH")) return first_executable({env});
  return first_executable({KPP_SOURCE_DIR "/../shared/tools/kgo-bench"});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `kafka-psc-proxy users add NAME --file F` with the password piped in.
bool users_add(const std::string& file, const std::string& name, const std::string& password) {
  const std::string cmd = "printf '%s\\n' '" + password + "' | " + proxy_binary() + " users add " +
                          name + " --file " + file + " --iterations 4096";
  return run_quietly(cmd);
}

// The auth/ login driver over a raw socket: each request it makes, framed, and its answers.
auth::auth_result<auth::login_step> login(raw_client& c, auth::login_config cfg) {
  auth::sasl_login driver{std::move(cfg)};
  auto first = driver.start();
  if (!first) return first.error();
  auth::login_request req = std::move(*first);
  for (std::int32_t correlation = 1; correlation < 10; ++correlation) {
    protocol::byte_buffer frame;
    protocol::encode_request_frame(frame, req.api_key, req.api_version, correlation, "kpp-test",
                                   req.body);
    const auto* p = reinterpret_cast<const std::uint8_t*>(frame.data());
    if (!c.send(bytes(p, p + frame.size())))
      return auth::fail(auth::auth_errc::protocol_error, "send failed");
    const auto answer = c.read_frame(15s);
    if (!answer) return auth::fail(auth::auth_errc::protocol_error, "no answer");
    const auto hv = protocol::response_header_version(req.api_key, req.api_version);
    const protocol::bytes_view payload{reinterpret_cast<const std::byte*>(answer->data()),
                                       answer->size()};
    const auto header = protocol::decode_response_header(payload, hv ? *hv : std::int16_t{0});
    if (!header || header->correlation_id != correlation)
      return auth::fail(auth::auth_errc::protocol_error, "bad response header");
    auto step = driver.on_response(payload.subspan(header->size));
    if (!step || std::holds_alternative<auth::login_success>(*step)) return step;
    req = std::get<auth::login_request>(std::move(*step));
  }
  return auth::fail(auth::auth_errc::protocol_error, "login did not end");
}

class SaslClientAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    kfake_options o;
    o.brokers = 2;
    o.topics = "auth-e2e";
    o.partitions = 2;
    cluster_ = std::make_unique<kfake_cluster>(o);
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
    users_ = dir_.path("users");
    ASSERT_TRUE(users_add(users_, "alice", "alice-pw"));
    p_ = node_id_proxy::for_cluster(cluster_->address(0), 1);
    p_.extra_yaml =
        "listeners:\n  sasl:\n    mechanisms: [SCRAM-SHA-512, SCRAM-SHA-256, PLAIN]\n"
        "    users_file: " +
        users_ + "\n";
    proxy_ = std::make_unique<proxy_process>(proxy_process::with_yaml(p_.yaml()));
    ASSERT_TRUE(proxy_->wait_ready(p_.admin_port)) << proxy_->output();
  }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->stop(), 0) << proxy_->output();
    }
  }

  [[nodiscard]] auth::auth_result<auth::login_step> login_as(mechanism m, const std::string& user,
                                                             const std::string& pw) const {
    raw_client c(p_.bootstrap_port);
    if (!c.connected()) return auth::fail(auth::auth_errc::protocol_error, "cannot connect");
    return login(c, {m, user, pw, 2, {}});
  }

  // kgo-bench through the proxy; its exit status, its output in `out`.
  int bench(const std::string& sasl, std::string& out, const std::string& timeout = "30s") {
    const auto log = dir_.path("bench-" + std::to_string(++runs_) + ".log");
    const std::string cmd = "timeout 90 " + kgo_bench() + " -b " + p_.bootstrap() +
                            " -t auth-e2e -n 200 -s 100 -timeout " + timeout + " -sasl " + sasl +
                            " > " + log + " 2>&1";
    const int status = std::system(cmd.c_str());
    out = read_file(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  cert_dir dir_;
  std::string users_;
  int runs_ = 0;
  std::unique_ptr<kfake_cluster> cluster_;
  node_id_proxy p_;
  std::unique_ptr<proxy_process> proxy_;
};

void expect_refused(const auth::auth_result<auth::login_step>& r) {
  ASSERT_FALSE(r) << "the login succeeded";
  EXPECT_EQ(r.error().code, auth::auth_errc::broker_rejected) << r.error().detail;
  EXPECT_EQ(r.error().kafka_error, auth::kafka_error::sasl_authentication_failed)
      << r.error().detail;
}

TEST_F(SaslClientAuth, FranzGoProducesAndConsumesWithScramSha512AndPlain) {
  KPP_REQUIRE_TOOL(!kgo_bench().empty(), "kgo-bench",
                   "set KPP_KGO_BENCH or put it at ../shared/tools/kgo-bench");
  for (const std::string mech : {"SCRAM-SHA-512", "PLAIN"}) {
    SCOPED_TRACE(mech);
    std::string out;
    EXPECT_EQ(bench(mech + ":alice:alice-pw", out), 0) << out << "\n" << proxy_->output();
    // Each run produces 200 and consumes the topic from the start (earlier runs' too).
    EXPECT_NE(out.find("produce 200 recs 100 B"), std::string::npos) << out;
    EXPECT_NE(out.find("failed 0"), std::string::npos) << out;
    EXPECT_NE(out.find("consume "), std::string::npos) << out;
  }
  EXPECT_TRUE(proxy_->wait_for_output("authenticated as \"alice\"", 5s)) << proxy_->output();
  const auto ok = scrape(p_.admin_port, "kafka_psc_proxy_client_logins_total{outcome=\"success\"}");
  ASSERT_TRUE(ok);
  EXPECT_GE(*ok, 2);
}

TEST_F(SaslClientAuth, FranzGoWithAWrongPasswordIsRefused) {
  KPP_REQUIRE_TOOL(!kgo_bench().empty(), "kgo-bench",
                   "set KPP_KGO_BENCH or put it at ../shared/tools/kgo-bench");
  for (const std::string mech : {"SCRAM-SHA-512", "PLAIN"}) {
    SCOPED_TRACE(mech);
    std::string out;
    // franz-go retries a refused login until its deadline; nothing gets through. (The error
    // code it was answered, SASL_AUTHENTICATION_FAILED, is checked with the raw driver below.)
    EXPECT_NE(bench(mech + ":alice:wrong", out, "5s"), 0) << out;
    EXPECT_NE(out.find("failed 200"), std::string::npos) << out;
  }
  EXPECT_TRUE(proxy_->wait_for_output("SASL login failed: wrong password", 5s)) << proxy_->output();
  const auto ok = scrape(p_.admin_port, "kafka_psc_proxy_client_logins_total{outcome=\"success\"}");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 0);
}

TEST_F(SaslClientAuth, EveryMechanismWithTheRightPasswordLogsIn) {
  for (auto m : {mechanism::scram_sha_512, mechanism::scram_sha_256, mechanism::plain}) {
    SCOPED_TRACE(std::string(auth::name(m)));
    const auto r = login_as(m, "alice", "alice-pw");
    ASSERT_TRUE(r) << r.error().detail << "\n" << proxy_->output();
  }
}

TEST_F(SaslClientAuth, WrongPasswordAndUnknownUserGetSaslAuthenticationFailed) {
  for (auto m : {mechanism::scram_sha_512, mechanism::plain}) {
    SCOPED_TRACE(std::string(auth::name(m)));
    expect_refused(login_as(m, "alice", "wrong"));
    expect_refused(login_as(m, "mallory", "alice-pw"));
  }
  const auto bad =
      scrape(p_.admin_port, "kafka_psc_proxy_client_logins_total{outcome=\"bad_password\"}");
  const auto unknown =
      scrape(p_.admin_port, "kafka_psc_proxy_client_logins_total{outcome=\"unknown_user\"}");
  ASSERT_TRUE(bad && unknown);
  EXPECT_EQ(*bad, 2);
  EXPECT_EQ(*unknown, 2);
  // Counted by kind, never by name: no series names a user.
  EXPECT_EQ(http_get(p_.admin_port, "/metrics").body.find("mallory"), std::string::npos);
}

TEST_F(SaslClientAuth, ARequestBeforeLoginClosesTheConnection) {
  raw_client c(p_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(request_frame(3, 1, 1, metadata_request_body(1))));  // Metadata v1
  EXPECT_FALSE(c.read_frame(5s));
  EXPECT_TRUE(c.closed_by_peer(2s));
  const auto n = scrape(p_.admin_port, "kafka_psc_proxy_client_requests_before_login_total");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  // ApiVersions before login is answered (with the broker's APIs, learned by discovery).
  raw_client a(p_.bootstrap_port);
  ASSERT_TRUE(a.send(request_frame(18, 0, 5)));
  const auto answer = a.read_frame(5s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(get_i32(*answer, 0), 5);
  EXPECT_EQ(get_i16(*answer, 4), 0);
  EXPECT_GT(get_i32(*answer, 6), 3) << "only the SASL APIs were listed";
}

TEST_F(SaslClientAuth, AChangedUsersFileTakesEffect) {
  ASSERT_TRUE(login_as(mechanism::scram_sha_512, "alice", "alice-pw"));
  ASSERT_TRUE(users_add(users_, "alice", "new-pw"));
  ASSERT_TRUE(users_add(users_, "bob", "bob-pw"));
  EXPECT_TRUE(poll_until(
      [&] { return static_cast<bool>(login_as(mechanism::scram_sha_256, "bob", "bob-pw")); }, 10s))
      << proxy_->output();
  expect_refused(login_as(mechanism::scram_sha_512, "alice", "alice-pw"));
  EXPECT_TRUE(login_as(mechanism::plain, "alice", "new-pw"));
  EXPECT_TRUE(proxy_->wait_for_output("re-read: 2 user(s)", 5s)) << proxy_->output();
}

}  // namespace
}  // namespace kpp::test
