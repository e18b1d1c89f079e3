#include <gtest/gtest.h>

#include "kpp/net/tls_context.h"
#include "tls_fixture.h"

namespace kpp::net {
namespace {

using test::cert_spec;
using test::tls_fixture;

class TlsContext : public tls_fixture {};

TEST_F(TlsContext, LoadsServerChainAndKey) {
  auto ctx = server_ctx(server_settings());
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(SSL_CTX_get_mode(ctx->native_handle()) & SSL_MODE_RELEASE_BUFFERS);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->native_handle()), TLS1_2_VERSION);
}

TEST_F(TlsContext, MinVersion13) {
  auto s = server_settings();
  s.min_version = tls_version::v1_3;
  EXPECT_EQ(SSL_CTX_get_min_proto_version(server_ctx(s)->native_handle()), TLS1_3_VERSION);
}

TEST_F(TlsContext, UnreadableFileNamesThePath) {
  auto s = server_settings();
  s.cert_file = dir.path("missing.pem");
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::file_unreadable);
  EXPECT_NE(err->message.find("missing.pem"), std::string::npos) << err->message;
}

TEST_F(TlsContext, NotAPemCertificate) {
  auto s = server_settings();
  s.cert_file = dir.write_text("junk.pem", "hello\n");
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::bad_certificate);
  EXPECT_NE(err->message.find("BEGIN CERTIFICATE"), std::string::npos) << err->message;
}

TEST_F(TlsContext, KeyOfAnotherCertificate) {
  auto s = server_settings();
  s.key_file = client_key;
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::key_mismatch);
}

TEST_F(TlsContext, EncryptedKeyWithPasswordFile) {
  auto s = server_settings();
  s.key_file = dir.write_key("enc.key", srv.key, "s3cret");
  s.key_password.file = dir.write_text("pw", "s3cret\n");
  EXPECT_TRUE(server_ctx(s));
}

TEST_F(TlsContext, EncryptedKeyWrongOrMissingPasswordSaysSoWithoutTheSecret) {
  auto s = server_settings();
  s.key_file = dir.write_key("enc.key", srv.key, "s3cret");
  s.key_password.value = "wrong-password";
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::bad_key);
  EXPECT_NE(err->message.find("encrypted"), std::string::npos) << err->message;
  EXPECT_EQ(err->message.find("wrong-password"), std::string::npos) << err->message;
  s.key_password.value.clear();  // must fail, not prompt on a terminal
  EXPECT_EQ(server_load_error(s)->cause, tls_load_error::bad_key);
}

TEST_F(TlsContext, GoAndOpenSslCipherNames) {
  auto s = server_settings();
  s.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                     "TLS_AES_128_GCM_SHA256"};
  auto ctx = server_ctx(s);
  ASSERT_TRUE(ctx);
  SSL* ssl = SSL_new(ctx->native_handle());
  std::vector<std::string> names;
  STACK_OF(SSL_CIPHER)* list = SSL_get_ciphers(ssl);
  for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i)
    names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
  SSL_free(ssl);
  EXPECT_EQ(names,
            (std::vector<std::string>{"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                      "ECDHE-ECDSA-AES256-GCM-SHA384"}));
}

TEST_F(TlsContext, UnknownCipherAndCurveAreNamed) {
  auto s = server_settings();
  s.cipher_suites = {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_FOO_WITH_BAR"};
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::unknown_cipher);
  EXPECT_NE(err->message.find("TLS_FOO_WITH_BAR"), std::string::npos);
  s = server_settings();
  s.curves = {"CurveP256", "Curve25519x"};
  err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::unknown_curve);
  EXPECT_NE(err->message.find("Curve25519x"), std::string::npos);
}

TEST_F(TlsContext, ClientCaWithoutCertificates) {
  auto s = server_settings();
  s.client_auth = tls_client_auth::require;
  s.client_ca_file = dir.write_text("empty-ca.pem", "\n");
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::bad_ca);
}

TEST_F(TlsContext, BadCrl) {
  auto s = server_settings();
  s.client_auth = tls_client_auth::require;
  s.client_ca_file = ca_file;
  s.crl_file = dir.write_text("crl.pem", "not a crl");
  auto err = server_load_error(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->cause, tls_load_error::bad_crl);
}

TEST_F(TlsContext, NotAfterOfTheLoadedCertificate) {
  cert_spec spec;
  spec.not_after_s = 5000;
  auto leaf = test::make_cert(spec, &ca);
  auto s = server_settings();
  s.cert_file = dir.write_certs("short.pem", {leaf.cert});
  s.key_file = dir.write_key("short.key", leaf.key);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto na = certificate_not_after(*server_ctx(s));
  ASSERT_TRUE(na);
  EXPECT_GE(*na, now + 4990);
  EXPECT_LE(*na, now + 5010);
}

TEST_F(TlsContext, UncoveredAdvertisedNames) {
  auto ctx = server_ctx(server_settings());
  EXPECT_EQ(
      uncovered_names(*ctx, {"localhost", "b1.kafka.example.com", "127.0.0.1",
                             "b1.other.example.com", "10.0.0.1", "a.b1.kafka.example.com"}),
      (std::vector<std::string>{"b1.other.example.com", "10.0.0.1", "a.b1.kafka.example.com"}));
}

TEST_F(TlsContext, WatchedFilesLeaveOutUnset) {
  auto s = server_settings();
  EXPECT_EQ(watched_files(s), (std::vector<std::string>{server_cert, server_key}));
  auto c = client_settings();
  c.cert_file = client_cert;
  c.key_file = client_key;
  c.key_password.file = "/run/pw";
  EXPECT_EQ(watched_files(c),
            (std::vector<std::string>{ca_file, client_cert, client_key, "/run/pw"}));
}

}  // namespace
}  // namespace kpp::net
