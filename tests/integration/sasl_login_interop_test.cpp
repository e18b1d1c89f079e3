// The pure SASL login driver (kpp/auth/sasl_login.h) over a plain blocking loopback socket
// against kfake-broker's SASL (franz-go's SCRAM and PLAIN): proof that it interoperates with
// an implementation other than our own server session. After a login the broker must serve
// a Metadata request; a wrong password or unknown user must be refused.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <variant>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/sasl_login.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"
#include "kpp/protocol/response_header.h"
#include "support/kafka_raw.h"
#include "support/kfake.h"
#include "support/raw_client.h"

namespace kpp::test {
namespace {

using auth::mechanism;

// kfake (franz-go) closes the connection on a failed login instead of answering
// SASL_AUTHENTICATION_FAILED as Apache Kafka does; either is a refusal.
constexpr const char* closed = "closed by the broker";

void expect_refused(const auth::auth_result<auth::login_step>& r) {
  ASSERT_FALSE(r) << "the login succeeded";
  if (r.error().code == auth::auth_errc::broker_rejected) {
    EXPECT_EQ(r.error().kafka_error, auth::kafka_error::sasl_authentication_failed);
    std::cout << "  broker said: " << r.error().detail << "\n";
  } else {
    EXPECT_EQ(r.error().detail, closed) << "neither a refusal nor a close";
  }
}

// Sends each request the driver produces and feeds it the answer, until it ends.
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
    if (!c.send(bytes(p, p + frame.size()))) {
      return auth::fail(auth::auth_errc::protocol_error, "send failed");
    }
    const auto answer = c.read_frame();
    if (!answer) {
      return auth::fail(auth::auth_errc::protocol_error,
                        c.closed_by_peer(std::chrono::milliseconds(1000)) ? closed : "no answer");
    }
    // Response header v1 (with tags) only for flexible versions: SaslAuthenticate v2.
    const auto hv = protocol::response_header_version(req.api_key, req.api_version);
    const protocol::bytes_view payload{reinterpret_cast<const std::byte*>(answer->data()),
                                       answer->size()};
    const auto header = protocol::decode_response_header(payload, hv ? *hv : std::int16_t{0});
    if (!header || header->correlation_id != correlation) {
      return auth::fail(auth::auth_errc::protocol_error, "bad response header");
    }
    auto step = driver.on_response(payload.subspan(header->size));
    if (!step || std::holds_alternative<auth::login_success>(*step)) return step;
    req = std::get<auth::login_request>(std::move(*step));
  }
  return auth::fail(auth::auth_errc::protocol_error, "login did not end");
}

class SaslLoginInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    KPP_REQUIRE_KFAKE();
    kfake_options opts;
    opts.brokers = 1;
    opts.sasl = {"SCRAM-SHA-512:admin:secret", "SCRAM-SHA-256:admin:secret", "PLAIN:admin:secret"};
    cluster_.emplace(opts);
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
  }

  std::optional<kfake_cluster> cluster_;
};

TEST_F(SaslLoginInterop, EveryMechanismLogsInAndTheBrokerThenServes) {
  for (auto m : {mechanism::scram_sha_512, mechanism::scram_sha_256, mechanism::plain}) {
    for (std::int16_t v : {0, 1, 2}) {
      SCOPED_TRACE(std::string(auth::name(m)) + " SaslAuthenticate v" + std::to_string(v));
      raw_client c{cluster_->port(0)};
      ASSERT_TRUE(c.connected());
      const auto r = login(c, {m, "admin", "secret", v, {}});
      ASSERT_TRUE(r) << r.error().detail;
      EXPECT_TRUE(std::holds_alternative<auth::login_success>(*r));
      std::string error;
      const auto brokers = metadata_round_trip(c, 1, 100, &error);
      ASSERT_TRUE(brokers) << error;
      EXPECT_EQ(brokers->size(), 1u);
    }
  }
}

// What makes the test above meaningful: without a login this kfake serves nothing.
TEST_F(SaslLoginInterop, WithoutLoginTheBrokerServesNothing) {
  raw_client c{cluster_->port(0)};
  ASSERT_TRUE(c.connected());
  EXPECT_FALSE(metadata_round_trip(c, 1, 100, nullptr, std::chrono::milliseconds(2000)));
}

TEST_F(SaslLoginInterop, WrongPasswordIsRefused) {
  for (auto m : {mechanism::scram_sha_512, mechanism::scram_sha_256, mechanism::plain}) {
    SCOPED_TRACE(std::string(auth::name(m)));
    raw_client c{cluster_->port(0)};
    ASSERT_TRUE(c.connected());
    const auto r = login(c, {m, "admin", "wrong", 2, {}});
    expect_refused(r);
  }
}

TEST_F(SaslLoginInterop, UnknownUserIsRefused) {
  raw_client c{cluster_->port(0)};
  ASSERT_TRUE(c.connected());
  const auto r = login(c, {mechanism::scram_sha_512, "mallory", "secret", 2, {}});
  expect_refused(r);
}

}  // namespace
}  // namespace kpp::test
