// Real handshakes between contexts built from settings; each failure must come out with the
// cause that names it.
#include <gtest/gtest.h>

#include "kpp/net/tls_context.h"
#include "tls_fixture.h"
#include "tls_handshake_harness.h"

namespace kpp::net {
namespace {

using cause = tls_handshake_cause;
using test::cert_spec;
using test::run_handshake;

class TlsHandshake : public test::tls_fixture {
 protected:
  std::function<void(SSL*)> as_host(const std::string& host, tls_client_settings s = {}) {
    if (s.ca_file.empty()) s = client_settings();
    return [s, host](SSL* ssl) { ASSERT_TRUE(prepare_client_ssl(ssl, s, host)); };
  }
};

TEST_F(TlsHandshake, SucceedsAndTheServerSeesSni) {
  auto out = run_handshake(server_ctx(server_settings()), client_ctx(client_settings()),
                           as_host("b1.kafka.example.com"));
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();
  EXPECT_EQ(out.sni, "b1.kafka.example.com");
}

TEST_F(TlsHandshake, IpLiteralIsVerifiedWithoutSni) {
  auto out = run_handshake(server_ctx(server_settings()), client_ctx(client_settings()),
                           as_host("127.0.0.1"));
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
  EXPECT_EQ(out.sni, "");
}

TEST_F(TlsHandshake, UnknownCa) {
  auto other = test::make_ca("other CA");
  auto c = client_settings();
  c.ca_file = dir.write_certs("other-ca.pem", {other.cert});
  auto out = run_handshake(server_ctx(server_settings()), client_ctx(c), as_host("localhost", c));
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::unknown_ca) << out.client_failure->message;
  EXPECT_NE(out.client_failure->message.find("upstream.tls.ca_file"), std::string::npos);
  ASSERT_TRUE(out.server_failure);  // the server hears the client's alert
  EXPECT_EQ(out.server_failure->cause, cause::unknown_ca) << out.server_failure->message;
}

TEST_F(TlsHandshake, ExpiredAndNotYetValid) {
  for (auto [nb, na, want] : {std::tuple{-7200L, -3600L, cause::cert_expired},
                              std::tuple{3600L, 7200L, cause::cert_not_yet_valid}}) {
    cert_spec spec;
    spec.dns = {"localhost"};
    spec.not_before_s = nb;
    spec.not_after_s = na;
    auto leaf = test::make_cert(spec, &ca);
    auto s = server_settings();
    s.cert_file = dir.write_certs("leaf.pem", {leaf.cert});
    s.key_file = dir.write_key("leaf.key", leaf.key);
    auto out = run_handshake(server_ctx(s), client_ctx(client_settings()), as_host("localhost"));
    ASSERT_TRUE(out.client_failure);
    EXPECT_EQ(out.client_failure->cause, want) << out.client_failure->message;
  }
}

TEST_F(TlsHandshake, NameNotInSan) {
  auto out = run_handshake(server_ctx(server_settings()), client_ctx(client_settings()),
                           as_host("kafka.other.example.com"));
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::name_mismatch) << out.client_failure->message;
  EXPECT_NE(out.client_failure->message.find("server_name"), std::string::npos);
  out = run_handshake(server_ctx(server_settings()), client_ctx(client_settings()),
                      as_host("10.9.9.9"));
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::name_mismatch) << out.client_failure->message;
}

TEST_F(TlsHandshake, ServerNameOverrideIsUsedForSniAndVerification) {
  auto c = client_settings();
  c.server_name = "localhost";
  auto out = run_handshake(server_ctx(server_settings()), client_ctx(c),
                           as_host("kafka.other.example.com", c));
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
  EXPECT_EQ(out.sni, "localhost");
}

TEST_F(TlsHandshake, InsecureSkipVerifyAcceptsAnything) {
  auto c = client_settings();
  c.ca_file = dir.write_certs("other-ca.pem", {test::make_ca("other").cert});
  c.insecure_skip_verify = true;
  auto out =
      run_handshake(server_ctx(server_settings()), client_ctx(c), as_host("nothing.example", c));
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
}

TEST_F(TlsHandshake, ProtocolVersion) {
  auto s = server_settings();
  s.min_version = tls_version::v1_3;
  auto client = client_ctx(client_settings());
  SSL_CTX_set_max_proto_version(client->native_handle(), TLS1_2_VERSION);
  auto out = run_handshake(server_ctx(s), client, as_host("localhost"));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::protocol_version) << out.server_failure->message;
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::protocol_version) << out.client_failure->message;
}

TEST_F(TlsHandshake, NoSharedCipher) {
  auto s = server_settings();
  s.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"};
  auto client = client_ctx(client_settings());
  SSL_CTX_set_max_proto_version(client->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(client->native_handle(), "ECDHE-ECDSA-AES256-GCM-SHA384");
  auto out = run_handshake(server_ctx(s), client, as_host("localhost"));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::no_shared_cipher) << out.server_failure->message;
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::no_shared_cipher) << out.client_failure->message;
}

class TlsMutual : public TlsHandshake {
 protected:
  tls_server_settings mtls(tls_client_auth auth) const {
    auto s = server_settings();
    s.client_auth = auth;
    s.client_ca_file = ca_file;
    return s;
  }
  tls_client_settings with_cert() const {
    auto c = client_settings();
    c.cert_file = client_cert;
    c.key_file = client_key;
    return c;
  }
};

TEST_F(TlsMutual, RequireWithACertificateSucceeds) {
  auto c = with_cert();
  auto out = run_handshake(server_ctx(mtls(tls_client_auth::require)), client_ctx(c),
                           as_host("localhost", c));
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
}

TEST_F(TlsMutual, RequireWithoutACertificate) {
  auto out = run_handshake(server_ctx(mtls(tls_client_auth::require)),
                           client_ctx(client_settings()), as_host("localhost"));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::client_cert_missing) << out.server_failure->message;
  // In TLS 1.3 the client finishes first; it hears the certificate_required alert on its
  // first read, which the session classifies the same way. With TLS 1.2 it fails in place.
  auto client12 = client_ctx(client_settings());
  SSL_CTX_set_max_proto_version(client12->native_handle(), TLS1_2_VERSION);
  out = run_handshake(server_ctx(mtls(tls_client_auth::require)), client12, as_host("localhost"));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::client_cert_missing) << out.server_failure->message;
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::client_cert_missing) << out.client_failure->message;
}

TEST_F(TlsMutual, RequestAdmitsAClientWithoutACertificate) {
  auto out = run_handshake(server_ctx(mtls(tls_client_auth::request)),
                           client_ctx(client_settings()), as_host("localhost"));
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
}

TEST_F(TlsMutual, ClientCertificateFromAnotherCa) {
  auto other = test::make_ca("other");
  cert_spec spec;
  spec.common_name = "stranger";
  auto leaf = test::make_cert(spec, &other);
  auto c = client_settings();
  c.cert_file = dir.write_certs("stranger.pem", {leaf.cert});
  c.key_file = dir.write_key("stranger.key", leaf.key);
  auto out = run_handshake(server_ctx(mtls(tls_client_auth::require)), client_ctx(c),
                           as_host("localhost", c));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::unknown_ca) << out.server_failure->message;
}

TEST_F(TlsMutual, RevokedByCrl) {
  auto s = mtls(tls_client_auth::require);
  s.crl_file = dir.write_crl("crl.pem", ca, {3});  // the client certificate's serial
  auto c = with_cert();
  auto out = run_handshake(server_ctx(s), client_ctx(c), as_host("localhost", c));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::cert_revoked) << out.server_failure->message;

  s.crl_file = dir.write_crl("crl2.pem", ca, {99});
  out = run_handshake(server_ctx(s), client_ctx(c), as_host("localhost", c));
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();
}

TEST_F(TlsMutual, AllowedClientSubjects) {
  auto s = mtls(tls_client_auth::require);
  tls_subject other;
  other.common_name = "someone-else";
  s.allowed_client_subjects = {other};
  auto c = with_cert();
  auto out = run_handshake(server_ctx(s), client_ctx(c), as_host("localhost", c));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::client_subject_denied) << out.server_failure->message;

  tls_subject ticdc;
  ticdc.common_name = "ticdc";
  ticdc.organization = {"pingcap"};
  s.allowed_client_subjects = {other, ticdc};
  out = run_handshake(server_ctx(s), client_ctx(c), as_host("localhost", c));
  EXPECT_FALSE(out.server_ec) << out.server_ec.message();

  ticdc.organization = {"pingcap", "extra"};  // sets must be equal
  s.allowed_client_subjects = {ticdc};
  out = run_handshake(server_ctx(s), client_ctx(c), as_host("localhost", c));
  ASSERT_TRUE(out.server_failure);
  EXPECT_EQ(out.server_failure->cause, cause::client_subject_denied);
}

TEST_F(TlsHandshake, UpstreamThatClosesOnTheClientHelloIsAPlaintextListener) {
  auto out = test::run_client_against_plaintext(client_ctx(client_settings()), "");
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::plaintext_upstream) << out.client_failure->message;
  EXPECT_NE(out.client_failure->message.find("upstream.tls"), std::string::npos);
}

TEST_F(TlsHandshake, UpstreamThatAnswersKafkaBytesIsAPlaintextListener) {
  // A Kafka-shaped answer: a size, a correlation id, an error code.
  const std::string reply("\x00\x00\x00\x06\x00\x00\x00\x00\x00\x23", 10);
  auto out = test::run_client_against_plaintext(client_ctx(client_settings()), reply);
  ASSERT_TRUE(out.client_failure);
  EXPECT_EQ(out.client_failure->cause, cause::plaintext_upstream) << out.client_failure->message;
}

TEST(TlsListenerHead, PlaintextKafkaRequestOnATlsListener) {
  const unsigned char kafka[] = {0, 0, 0, 20, 0, 18, 0, 3};  // ApiVersions v3
  auto f = classify_tls_listener_head(std::as_bytes(std::span(kafka)), "10.0.0.5:1234");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cause, cause::plaintext_client);
  EXPECT_EQ(f->message,
            "client 10.0.0.5:1234 sent a plaintext Kafka request to a TLS listener; set "
            "security.protocol=SSL");
  const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00};
  EXPECT_FALSE(classify_tls_listener_head(std::as_bytes(std::span(hello)), "x"));
}

}  // namespace
}  // namespace kpp::net
