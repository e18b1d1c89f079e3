#include "kpp/app/discovery_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kpp::app {
namespace {

using discovery::poll_failure;
using discovery::poll_outcome;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

poll_outcome failed(poll_failure kind, std::string error) {
  poll_outcome o;
  o.failure = kind;
  o.error = std::move(error);
  return o;
}

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

TEST(DiscoveryLog, PassiveDiscoveryIsSaidOnceNamingTheFix) {
  discovery_log log(1min);
  const auto passive = failed(poll_failure::sasl_required, "b:9092: requires SASL");
  const auto line = log.on_failure(passive, t0);
  ASSERT_TRUE(line);
  EXPECT_THAT(*line, HasSubstr("b:9092: requires SASL"));
  EXPECT_THAT(*line, HasSubstr("pass-through SASL mode"));
  EXPECT_THAT(*line, HasSubstr("Set discovery.sasl"));
  // Later rounds, however long after, add nothing: /ready and the metrics show the state.
  EXPECT_FALSE(log.on_failure(passive, t0 + 1s));
  EXPECT_FALSE(log.on_failure(passive, t0 + 2h));
  // After a success, it is news again.
  log.on_success();
  EXPECT_TRUE(log.on_failure(passive, t0 + 3h));
}

TEST(DiscoveryLog, ARepeatedFailureIsLoggedOncePerIntervalWithTheCountInBetween) {
  discovery_log log(1min);
  const auto refused = failed(poll_failure::login_failed, "b:9092: login failed: bad password");
  auto line = log.on_failure(refused, t0);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "discovery failed: b:9092: login failed: bad password");
  EXPECT_FALSE(log.on_failure(refused, t0 + 1s));
  EXPECT_FALSE(log.on_failure(refused, t0 + 2s));
  line = log.on_failure(refused, t0 + 61s);
  ASSERT_TRUE(line);
  EXPECT_THAT(*line, HasSubstr("2 more failed round(s) not logged since"));
}

TEST(DiscoveryLog, ADifferentFailureIsLoggedAtOnce) {
  discovery_log log(1min);
  EXPECT_TRUE(log.on_failure(failed(poll_failure::other, "b:9092: connect refused"), t0));
  EXPECT_TRUE(log.on_failure(failed(poll_failure::other, "b:9092: timed out"), t0 + 1s));
  EXPECT_TRUE(log.on_failure(failed(poll_failure::sasl_required, "requires SASL"), t0 + 2s));
  const auto back = log.on_failure(failed(poll_failure::other, "b:9092: timed out"), t0 + 3s);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "discovery failed: b:9092: timed out");
}

}  // namespace
}  // namespace kpp::app
