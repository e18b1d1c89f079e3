// `check --through`'s client side: a listener's own configured certificate is enough to trust
// it (partial chain: a leaf-only file verifies), a name the certificate does not cover lets the
// handshake complete so the check reports it (uncovered_names on the peer certificate), and a
// certificate outside the configured chain fails as a client would see it (unknown CA).
#include "kpp/net/tls_probe_context.h"

#include <gtest/gtest.h>

#include "tls_fixture.h"
#include "tls_handshake_harness.h"

namespace kpp::net {
namespace {

class TlsProbeContext : public test::tls_fixture {
 protected:
  // The server presents its leaf only (no CA in its chain file), as many listeners do.
  void SetUp() override {
    tls_fixture::SetUp();
    leaf_only = dir.write_certs("leaf.pem", {srv.cert});
  }
  context_ptr leaf_server() {
    auto s = server_settings();
    s.cert_file = leaf_only;
    return server_ctx(s);
  }
  static context_ptr probe(const std::vector<std::string>& anchors) {
    auto store = listener_probe_store(anchors, tls_version::v1_2);
    EXPECT_TRUE(store) << store.failure->message;
    return store ? store.value->current() : nullptr;
  }
  static std::function<void(SSL*)> as_host(const std::string& host) {
    return [host](SSL* ssl) { ASSERT_TRUE(prepare_client_ssl(ssl, tls_client_settings{}, host)); };
  }
  std::string leaf_only;
};

TEST_F(TlsProbeContext, TheListenersOwnLeafIsTrustedAndCoveredNamesAreReported) {
  auto out =
      test::run_handshake(leaf_server(), probe({leaf_only}), as_host("b1.kafka.example.com"));
  ASSERT_FALSE(out.client_ec) << out.client_ec.message();
  ASSERT_TRUE(out.peer_cert);
  EXPECT_TRUE(uncovered_names(out.peer_cert.get(), {"b1.kafka.example.com", "127.0.0.1"}).empty());
  const auto not_after = certificate_not_after(out.peer_cert.get());
  ASSERT_TRUE(not_after);
  EXPECT_EQ(not_after, certificate_not_after(*leaf_server()));
}

TEST_F(TlsProbeContext, AnUncoveredNameCompletesTheHandshakeAndIsReported) {
  auto out = test::run_handshake(leaf_server(), probe({leaf_only}), as_host("kafka.other.example"));
  ASSERT_FALSE(out.client_ec) << out.client_ec.message();
  ASSERT_TRUE(out.peer_cert);
  EXPECT_EQ(uncovered_names(out.peer_cert.get(), {"kafka.other.example", "localhost"}),
            std::vector<std::string>{"kafka.other.example"});
}

TEST_F(TlsProbeContext, ACertificateOutsideTheConfiguredChainIsAnUnknownCa) {
  auto other_ca = test::make_ca("another CA");
  test::cert_spec spec;
  spec.dns = {"localhost"};
  spec.serial = 9;
  auto other = test::make_cert(spec, &other_ca);
  const auto other_file = dir.write_certs("other.pem", {other.cert});
  auto out = test::run_handshake(leaf_server(), probe({other_file}), as_host("localhost"));
  ASSERT_TRUE(out.client_ec);
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, tls_handshake_cause::unknown_ca)
      << out.client_failure->message;
}

TEST_F(TlsProbeContext, AnUnreadableChainFileIsAFailureNamingIt) {
  auto store = listener_probe_store({dir.path("missing.pem")}, tls_version::v1_2);
  ASSERT_FALSE(store);
  EXPECT_NE(store.failure->message.find("missing.pem"), std::string::npos)
      << store.failure->message;
}

}  // namespace
}  // namespace kpp::net
