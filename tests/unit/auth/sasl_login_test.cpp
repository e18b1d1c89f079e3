// The client login driver against the server session, in memory, for PLAIN, SCRAM-SHA-256
// and SCRAM-SHA-512: right password, wrong password, unknown user, a mechanism the server
// does not enable, and the session lifetime handed back for KIP-368.
#include "kpp/auth/sasl_login.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "kpp/auth/kafka_sasl_errors.h"
#include "kpp/auth/sasl_server_session.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"

namespace kpp::auth {
namespace {

constexpr mechanism all_mechanisms[] = {mechanism::plain, mechanism::scram_sha_256,
                                        mechanism::scram_sha_512};

// "admin"/"secret" with both SCRAM credentials, as a users file would hold them.
credential_lookup admin_only() {
  return [](std::string_view name, mechanism m) -> std::optional<scram_credential> {
    if (name != "admin") return std::nullopt;
    const auto mech = m == mechanism::plain ? mechanism::scram_sha_512 : m;
    return *make_scram_credential(mech, "secret", "fixed-salt", 4096);
  };
}

struct run_result {
  auth_result<login_step> client_end = auth_error{};
  std::optional<login_outcome> server_outcome;
  std::string principal;
  int round_trips = 0;
};

// Drives the client against the server until either side ends the exchange.
run_result run(login_config cfg, sasl_server_config server_cfg) {
  sasl_login client{std::move(cfg)};
  sasl_server_session server{std::move(server_cfg), admin_only()};
  run_result out;
  auto req = client.start();
  if (!req) {
    out.client_end = req.error();
    return out;
  }
  login_request next = std::move(*req);
  for (; out.round_trips < 5; ++out.round_trips) {
    auto reply = server.on_request(next.api_key, next.api_version, next.body);
    if (!reply) {
      out.client_end = reply.error();
      return out;
    }
    out.server_outcome = reply->outcome;
    out.principal = reply->principal;
    auto step = client.on_response(reply->body);
    if (!step || std::holds_alternative<login_success>(*step)) {
      out.client_end = std::move(step);
      ++out.round_trips;
      return out;
    }
    next = std::get<login_request>(std::move(*step));
  }
  return out;
}

sasl_server_config all_enabled(std::string decoy_key = {}) {
  return {{mechanism::plain, mechanism::scram_sha_256, mechanism::scram_sha_512},
          3'600'000,
          std::move(decoy_key),
          4096};
}

TEST(SaslLogin, RightPasswordSucceedsWithTheSessionLifetime) {
  for (auto m : all_mechanisms) {
    for (std::int16_t v : {0, 1, 2}) {
      SCOPED_TRACE(std::string(name(m)) + " v" + std::to_string(v));
      auto r = run({m, "admin", "secret", v, {}}, all_enabled());
      ASSERT_TRUE(r.client_end) << r.client_end.error().detail;
      // v0 has no SessionLifetimeMs field.
      EXPECT_EQ(std::get<login_success>(*r.client_end).session_lifetime_ms, v == 0 ? 0 : 3'600'000);
      EXPECT_EQ(r.server_outcome, login_outcome::success);
      EXPECT_EQ(r.principal, "admin");
      EXPECT_EQ(r.round_trips, is_scram(m) ? 3 : 2);
    }
  }
}

TEST(SaslLogin, WrongPasswordAndUnknownUserQuoteTheBroker) {
  for (auto m : all_mechanisms) {
    SCOPED_TRACE(std::string(name(m)));
    auto wrong = run({m, "admin", "guess", 2, {}}, all_enabled());
    ASSERT_FALSE(wrong.client_end);
    EXPECT_EQ(wrong.client_end.error().code, auth_errc::broker_rejected);
    EXPECT_EQ(wrong.client_end.error().kafka_error, kafka_error::sasl_authentication_failed);
    EXPECT_NE(wrong.client_end.error().detail.find("invalid credentials"), std::string::npos);
    EXPECT_EQ(wrong.server_outcome, login_outcome::bad_password);

    for (const bool decoy : {false, true}) {
      SCOPED_TRACE(decoy ? "with a decoy key" : "without a decoy key");
      auto unknown = run({m, "mallory", "secret", 2, {}}, all_enabled(decoy ? "k" : ""));
      ASSERT_FALSE(unknown.client_end);
      EXPECT_EQ(unknown.client_end.error().kafka_error, kafka_error::sasl_authentication_failed);
      EXPECT_EQ(unknown.server_outcome, login_outcome::unknown_user);
      // The client sees the same words either way, and with a decoy key at the same step.
      const auto& u = unknown.client_end.error().detail;
      const auto& w = wrong.client_end.error().detail;
      EXPECT_EQ(u.substr(u.find('"')), w.substr(w.find('"')));
      if (decoy || !is_scram(m)) {
        EXPECT_EQ(unknown.round_trips, wrong.round_trips);
      } else {
        EXPECT_LT(unknown.round_trips, wrong.round_trips);
      }
    }
  }
}

TEST(SaslLogin, MechanismNotEnabled) {
  auto r = run({mechanism::scram_sha_256, "admin", "secret", 2, {}},
               {{mechanism::scram_sha_512, mechanism::plain}, 0, {}, 4096});
  ASSERT_FALSE(r.client_end);
  EXPECT_EQ(r.client_end.error().code, auth_errc::broker_rejected);
  EXPECT_EQ(r.client_end.error().kafka_error, kafka_error::unsupported_sasl_mechanism);
  EXPECT_NE(r.client_end.error().detail.find("it offers: SCRAM-SHA-512, PLAIN"), std::string::npos);
  EXPECT_EQ(r.server_outcome, login_outcome::unsupported_mechanism);
}

TEST(SaslLogin, NonAsciiPasswordFailsBeforeSendingIt) {
  auto r = run({mechanism::plain, "admin", "s\xc3\xa9", 2, {}}, all_enabled());
  ASSERT_FALSE(r.client_end);
  EXPECT_EQ(r.client_end.error().code, auth_errc::not_ascii);
}

TEST(SaslLogin, GarbageResponsesAndOrder) {
  sasl_login client{{mechanism::scram_sha_512, "admin", "secret", 2, {}}};
  const protocol::byte_buffer junk{std::byte{1}};
  EXPECT_EQ(client.on_response(junk).error().code, auth_errc::out_of_order);
  ASSERT_TRUE(client.start());
  EXPECT_EQ(client.on_response(junk).error().code, auth_errc::protocol_error);
  EXPECT_EQ(client.on_response(junk).error().code, auth_errc::out_of_order);
  EXPECT_FALSE(sasl_login({mechanism::plain, "a", "b", 3, {}}).start());
}

TEST(SaslServerSession, RefusesRequestsOutsideTheExchange) {
  {
    sasl_server_session s{all_enabled(), admin_only()};
    EXPECT_EQ(s.on_request(protocol::api_key::sasl_authenticate, 2, {}).error().code,
              auth_errc::out_of_order);
  }
  {
    sasl_server_session s{all_enabled(), admin_only()};
    EXPECT_EQ(s.on_request(3 /* Metadata */, 12, {}).error().code, auth_errc::protocol_error);
  }
  {
    sasl_server_session s{all_enabled(), admin_only()};
    const protocol::byte_buffer plain_v0{std::byte{0},   std::byte{5},   std::byte{'P'},
                                         std::byte{'L'}, std::byte{'A'}, std::byte{'I'},
                                         std::byte{'N'}};
    EXPECT_EQ(s.on_request(protocol::api_key::sasl_handshake, 0, plain_v0).error().code,
              auth_errc::protocol_error);
  }
}

TEST(SaslServerSession, MalformedTokenIsAnAuthenticationFailure) {
  sasl_server_session s{all_enabled(), admin_only()};
  sasl_login client{{mechanism::scram_sha_256, "admin", "secret", 2, {}}};
  auto hs = client.start();
  ASSERT_TRUE(s.on_request(hs->api_key, hs->api_version, hs->body));
  protocol::byte_buffer body;
  ASSERT_TRUE(protocol::encode_sasl_authenticate_request({protocol::as_bytes("p=tls,,n=admin,r=x")},
                                                         2, body));
  auto reply = s.on_request(protocol::api_key::sasl_authenticate, 2, body);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->outcome, login_outcome::malformed);
  auto resp = protocol::decode_sasl_authenticate_response(reply->body, 2);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->error_code, kafka_error::sasl_authentication_failed);
}

}  // namespace
}  // namespace kpp::auth
