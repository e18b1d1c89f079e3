// KIP-368 under upstream.sasl: the broker gives the proxy's login a short session lifetime
// (2 s, from a scripted broker that, like Kafka, closes a connection whose login expired on
// its next request). The proxy renews the login on the live upstream connection: one client
// connection, pipelining requests without pause, stays open across several lifetimes with
// every answer in order under its own correlation id. A broker that refuses the renewal, or
// does not answer it within timeouts.dial, gets the client closed, with one log line quoting
// it and the failure counted.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "support/metrics_scrape.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"
#include "support/scripted_sasl_broker.h"
#include "support/test_certs.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr std::int64_t lifetime_ms = 2000;
constexpr std::size_t window = 4;  // requests the client keeps in flight

// Produce v3, acks=1, no topics: answered (after the broker's delay), forwarded untouched.
bytes produce(std::int32_t correlation) {
  bytes body;
  put_i16(body, -1);    // transactional_id: null
  put_i16(body, 1);     // acks
  put_i32(body, 5000);  // timeout_ms
  put_i32(body, 0);     // topic_data
  return request_frame(0, 3, correlation, body);
}

std::string reauth_series(const std::string& outcome) {
  return "kafka_psc_proxy_upstream_reauthentications_total{outcome=\"" + outcome + "\"}";
}

class SaslReauthentication : public ::testing::Test {
 protected:
  std::unique_ptr<proxy_process> start(const scripted_sasl_broker& broker,
                                       const std::string& mechanism,
                                       const std::string& dial_timeout = "3s") {
    p_ = node_id_proxy::for_cluster(broker.address(), 1);
    const auto password = dir_.path("password");
    std::ofstream(password) << "proxy-secret\n";
    ::chmod(password.c_str(), 0600);
    p_.extra_yaml = "upstream:\n  sasl:\n    mechanism: " + mechanism +
                    "\n    username: proxyuser\n    password_file: " + password +
                    "\ntimeouts:\n  dial: " + dial_timeout + "\n";
    auto proxy = std::make_unique<proxy_process>(proxy_process::with_yaml(p_.yaml()));
    EXPECT_TRUE(proxy->wait_ready(p_.admin_port)) << proxy->output();
    return proxy;
  }

  // Keeps `window` requests in flight on `c` until `enough` holds or `limit` passes: a new
  // request for each answer, so requests are in flight whenever a renewal falls due. Every
  // answer must carry the oldest outstanding correlation id. False when the connection failed.
  template <class Enough>
  bool pipeline(raw_client& c, Enough enough, std::chrono::milliseconds limit, std::string* error) {
    const auto failed = [error](std::string why) {
      *error = std::move(why);
      return false;
    };
    const auto end = clock::now() + limit;
    while (outstanding_.size() < window) {
      if (!c.send(produce(next_))) return failed("send failed");
      outstanding_.push_back(next_++);
    }
    while (!enough() && clock::now() < end) {
      const auto answer = c.read_frame(5s);
      if (!answer) return failed("no answer (the connection closed or stalled)");
      const auto got = answer->size() < 4 ? -1 : get_i32(*answer, 0);
      if (got != outstanding_.front())
        return failed("answer out of order: got correlation id " + std::to_string(got) +
                      ", expected " + std::to_string(outstanding_.front()));
      outstanding_.pop_front();
      ++answered_;
      if (!c.send(produce(next_))) return failed("send failed");
      outstanding_.push_back(next_++);
    }
    return true;
  }

  cert_dir dir_;
  node_id_proxy p_;
  std::deque<std::int32_t> outstanding_;
  std::int32_t next_ = 0;  // from 0, as clients do: the proxy's own ids must not get in the way
  int answered_ = 0;
};

TEST_F(SaslReauthentication, OneClientConnectionOutlivesSeveralSessionLifetimes) {
  for (const std::string mech : {"SCRAM-SHA-512", "PLAIN"}) {
    SCOPED_TRACE(mech);
    scripted_sasl_broker broker({.session_lifetime_ms = lifetime_ms});
    auto proxy = start(broker, mech);
    outstanding_.clear();
    answered_ = 0;
    const auto before = scrape(p_.admin_port, reauth_series("success")).value_or(-1);
    raw_client c(p_.bootstrap_port);
    ASSERT_TRUE(c.connected());
    const auto started = clock::now();
    // Three lifetimes at least, and the login renewed three times on the one connection.
    const auto enough = [&] {
      return clock::now() - started >= std::chrono::milliseconds(3 * lifetime_ms) &&
             broker.stats().max_logins_on_a_produce_connection >= 4;
    };
    std::string error;
    ASSERT_TRUE(pipeline(c, enough, 30s, &error)) << error << "\n"
                                                  << broker.stats().describe() << "\n"
                                                  << proxy->output();
    ASSERT_TRUE(enough()) << "logins on the client's upstream connection: "
                          << broker.stats().max_logins_on_a_produce_connection << "\n"
                          << proxy->output();
    // The answers still owed arrive too, in order.
    while (!outstanding_.empty()) {
      const auto answer = c.read_frame(5s);
      ASSERT_TRUE(answer) << proxy->output();
      ASSERT_EQ(get_i32(*answer, 0), outstanding_.front());
      outstanding_.pop_front();
    }
    const auto s = broker.stats();
    EXPECT_EQ(s.connections_with_produce, 1) << "the client's traffic moved to a new connection";
    EXPECT_EQ(s.closed_expired, 0) << "a request reached the broker after the login expired";
    EXPECT_EQ(s.handshakes_with_answers_owed, 0)
        << "a renewal began while requests were unanswered";
    EXPECT_EQ(s.closed_unauthenticated, 0);
    EXPECT_GT(answered_, 50);
    const auto after = scrape(p_.admin_port, reauth_series("success"));
    ASSERT_TRUE(after);
    EXPECT_GE(*after - before, 3);
    EXPECT_EQ(scrape(p_.admin_port, reauth_series("failure")).value_or(-1), 0);
    EXPECT_TRUE(lines_containing(proxy->output(), "closed:").empty()) << proxy->output();
    EXPECT_EQ(proxy->stop(), 0) << proxy->output();
  }
}

TEST_F(SaslReauthentication, ARefusedRenewalClosesTheClientQuotingTheBroker) {
  scripted_sasl_broker broker({.session_lifetime_ms = lifetime_ms,
                               .reject_login = 2,
                               .reject_message = "token revoked by the scripted broker"});
  auto proxy = start(broker, "SCRAM-SHA-256");
  raw_client c(p_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  // Requests flow until the renewal is refused; then the proxy closes the client.
  std::string error;
  EXPECT_FALSE(pipeline(
      c, [] { return false; }, 20s, &error))
      << "the client connection outlived a refused renewal\n"
      << proxy->output();
  EXPECT_GT(answered_, 10) << error << "\n" << broker.stats().describe();
  EXPECT_TRUE(c.closed_by_peer(5s));
  const auto lines = wait_lines(*proxy, "token revoked by the scripted broker", 1);
  ASSERT_EQ(lines.size(), 1u) << proxy->output();
  EXPECT_NE(lines[0].find("[upstream_login_failed]"), std::string::npos) << lines[0];
  EXPECT_EQ(broker.stats().rejected, 1);
  EXPECT_EQ(broker.stats().closed_expired, 0);
  EXPECT_EQ(scrape(p_.admin_port, reauth_series("failure")).value_or(-1), 1);
  EXPECT_GE(scrape(p_.admin_port,
                   "kafka_psc_proxy_sessions_closed_total{reason=\"upstream_login_failed\"}")
                .value_or(0),
            1.0);
  EXPECT_EQ(proxy->stop(), 0) << proxy->output();
}

TEST_F(SaslReauthentication, AnUnansweredRenewalEndsAtTheTimeout) {
  scripted_sasl_broker broker({.session_lifetime_ms = lifetime_ms, .silent_login = 2});
  auto proxy = start(broker, "PLAIN", "1s");
  raw_client c(p_.bootstrap_port);
  ASSERT_TRUE(c.connected());
  std::string error;
  EXPECT_FALSE(pipeline(
      c, [] { return false; }, 20s, &error))
      << "the client connection outlived an unanswered renewal\n"
      << proxy->output();
  EXPECT_GT(answered_, 10) << error << "\n" << broker.stats().describe();
  EXPECT_TRUE(c.closed_by_peer(5s));
  const auto lines = wait_lines(*proxy, "the broker did not answer within timeouts.dial", 1);
  ASSERT_EQ(lines.size(), 1u) << proxy->output();
  EXPECT_NE(lines[0].find("[upstream_login_failed]"), std::string::npos) << lines[0];
  EXPECT_EQ(scrape(p_.admin_port, reauth_series("failure")).value_or(-1), 1);
  EXPECT_EQ(proxy->stop(), 0) << proxy->output();
}

}  // namespace
}  // namespace kpp::test
