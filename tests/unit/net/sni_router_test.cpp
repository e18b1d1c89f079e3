// routing: sni: which route a TLS server name gets, and real handshakes through a context the
// router is installed in: a broker or bootstrap name completes, no SNI (a client dialing an
// IP) completes for the bootstrap route, any other name gets the alert unrecognized_name.
#include "kpp/net/sni_router.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include "kpp/net/tls_context.h"
#include "tls_fixture.h"
#include "tls_handshake_harness.h"

namespace kpp::net {
namespace {

using kind = sni_route::kind;

sni_router make_router() {
  return sni_router("kafka.example.com",
                    routing::host_template::parse("b{node_id}.kafka.example.com", nullptr).value());
}

TEST(SniRouter, ResolvesBootstrapBrokersAndNothingElse) {
  const auto r = make_router();
  EXPECT_EQ(r.resolve("").type, kind::bootstrap);  // no SNI
  EXPECT_EQ(r.resolve("kafka.example.com").type, kind::bootstrap);
  EXPECT_EQ(r.resolve("KAFKA.example.com").type, kind::bootstrap);
  const auto b = r.resolve("b12.kafka.example.com");
  EXPECT_EQ(b.type, kind::broker);
  EXPECT_EQ(b.node_id, 12);
  for (const char* other : {"b.kafka.example.com", "b012.kafka.example.com", "x.kafka.example.com",
                            "kafka.example.com.", "b1.other.example.com", "127.0.0.1"})
    EXPECT_EQ(r.resolve(other).type, kind::unrecognized) << other;
  EXPECT_NE(r.expected().find("b{node_id}.kafka.example.com"), std::string::npos);
  EXPECT_NE(r.expected().find("\"kafka.example.com\""), std::string::npos);
}

class SniHandshake : public test::tls_fixture {
 protected:
  context_ptr routed_server() {
    auto ctx = server_ctx(server_settings());
    router.install(ctx->native_handle());
    return ctx;
  }
  std::function<void(SSL*)> as_host(const std::string& host) {
    auto s = client_settings();
    return [s, host](SSL* ssl) { ASSERT_TRUE(prepare_client_ssl(ssl, s, host)); };
  }
  sni_router router = make_router();
};

TEST_F(SniHandshake, BrokerAndBootstrapNamesComplete) {
  for (const char* name : {"b1.kafka.example.com", "b42.kafka.example.com"}) {
    auto out = test::run_handshake(routed_server(), client_ctx(client_settings()), as_host(name));
    EXPECT_FALSE(out.server_ec) << name << ": " << out.server_ec.message();
    EXPECT_FALSE(out.client_ec) << name << ": " << out.client_ec.message();
    EXPECT_EQ(out.sni, name);
  }
}

TEST_F(SniHandshake, NoSniCompletesForTheBootstrapRoute) {
  // An IP literal: no SNI is sent, the certificate's IP SAN is verified.
  auto out =
      test::run_handshake(routed_server(), client_ctx(client_settings()), as_host("127.0.0.1"));
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
  EXPECT_EQ(out.sni, "");
}

TEST_F(SniHandshake, AnUnknownNameGetsTheAlertUnrecognizedName) {
  auto settings = client_settings();
  auto out = test::run_handshake(routed_server(), client_ctx(settings), [settings](SSL* ssl) {
    // Verification off: the name is refused by the router, not by the client's check.
    SSL_set_tlsext_host_name(ssl, "b1.elsewhere.example.com");
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  });
  ASSERT_TRUE(out.server_ec);
  ASSERT_TRUE(out.client_ec);
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(out.client_ec.value())),
            SSL_R_TLSV1_UNRECOGNIZED_NAME)
      << out.client_ec.message();
}

// A name of the broker template whose node id has no route completes the handshake (the
// session closes after it) and the verdict says why; a known node's name completes too.
TEST_F(SniHandshake, AnUnknownNodeIdCompletesAndTheVerdictSaysWhy) {
  for (const auto& [name, known] : std::vector<std::pair<std::string, bool>>{
           {"b7.kafka.example.com", false}, {"b1.kafka.example.com", true}}) {
    sni_verdict verdict;
    verdict.known_node = [](std::int32_t id) { return id == 1; };
    auto out = test::run_handshake(routed_server(), client_ctx(client_settings()), as_host(name),
                                   [&](SSL* ssl) { sni_router::attach(ssl, &verdict); });
    ASSERT_TRUE(verdict.decided) << name;
    if (known) {
      EXPECT_FALSE(out.server_ec) << name << ": " << out.server_ec.message();
      EXPECT_EQ(verdict.route.type, kind::broker);
      continue;
    }
    // Completes (a handshake alert is fatal to Java clients); the session closes after it.
    EXPECT_FALSE(out.client_ec) << name << ": " << out.client_ec.message();
    EXPECT_EQ(verdict.route.type, kind::unknown_node);
    EXPECT_EQ(verdict.route.node_id, 7);
    const auto line = router.refusal(verdict, {0, 1, 2});
    EXPECT_NE(line.find("\"b7.kafka.example.com\""), std::string::npos) << line;
    EXPECT_NE(line.find("node id 7"), std::string::npos) << line;
    EXPECT_NE(line.find("known node ids: 0, 1, 2"), std::string::npos) << line;
    EXPECT_NE(line.find("closed after the handshake"), std::string::npos) << line;
    // Before discovery answered nothing is known: said so, not an empty list.
    EXPECT_NE(router.refusal(verdict, {}).find("none yet"), std::string::npos);
  }
}

}  // namespace
}  // namespace kpp::net
