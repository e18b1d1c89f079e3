#include "kpp/net/tls_context_store.h"

#include <gtest/gtest.h>

#include "tls_fixture.h"
#include "tls_handshake_harness.h"

namespace kpp::net {
namespace {

using test::cert_spec;
using result = tls_context_store::reload_result;

class TlsContextStore : public test::tls_fixture {
 protected:
  std::shared_ptr<tls_context_store> make_store() {
    auto store = tls_context_store::for_server("listener", server_settings(), metrics);
    EXPECT_TRUE(store) << store.failure->message;
    return store.value;
  }
  // Replaces the server certificate and key with a new one for `name`.
  void rotate(const std::string& name, long serial) {
    cert_spec spec;
    spec.dns = {name};
    spec.serial = serial;
    spec.not_after_s = 3 * 86400;
    auto leaf = test::make_cert(spec, &ca);
    dir.write_key("server.key", leaf.key);
    dir.write_certs("server.pem", {leaf.cert, ca.cert});
  }
  std::shared_ptr<admin::tls_certificate_metrics> metrics =
      std::make_shared<admin::tls_certificate_metrics>();
};

TEST_F(TlsContextStore, FirstLoadFailureIsReported) {
  auto s = server_settings();
  s.key_file = client_key;
  auto store = tls_context_store::for_server("listener", s, metrics);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.failure->cause, tls_load_error::key_mismatch);
}

TEST_F(TlsContextStore, UnchangedFilesKeepTheSameContext) {
  auto store = make_store();
  auto before = store->current();
  EXPECT_EQ(store->reload().result, result::unchanged);
  EXPECT_EQ(store->current(), before);
  EXPECT_GT(metrics->not_after_unix.value(), 0);
  EXPECT_EQ(metrics->reloads.value(), 0u);
}

TEST_F(TlsContextStore, RotationSwapsForNewHandshakesOnly) {
  auto store = make_store();
  auto old_ctx = store->current();
  const auto old_not_after = metrics->not_after_unix.value();
  rotate("rotated.example.com", 42);
  EXPECT_EQ(store->reload().result, result::reloaded);
  auto new_ctx = store->current();
  EXPECT_NE(new_ctx, old_ctx);
  EXPECT_EQ(metrics->reloads.value(), 1u);
  EXPECT_GT(metrics->not_after_unix.value(), old_not_after);
  // The new context presents the new certificate; the old one (still held by connections
  // that started with it) is untouched.
  EXPECT_EQ(
      ASN1_INTEGER_get(X509_get0_serialNumber(SSL_CTX_get0_certificate(new_ctx->native_handle()))),
      42);
  EXPECT_EQ(
      ASN1_INTEGER_get(X509_get0_serialNumber(SSL_CTX_get0_certificate(old_ctx->native_handle()))),
      2);
  EXPECT_EQ(uncovered_names(*new_ctx, {"rotated.example.com"}), std::vector<std::string>{});
}

TEST_F(TlsContextStore, BrokenNewFileKeepsTheOldContextAndCountsOnce) {
  auto store = make_store();
  auto before = store->current();
  dir.write_text("server.pem", "-----BEGIN CERTIFICATE-----\ntruncated");
  auto out = store->reload();
  EXPECT_EQ(out.result, result::failed);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->cause, tls_load_error::bad_certificate);
  EXPECT_EQ(store->current(), before);
  EXPECT_EQ(metrics->reload_failures.value(), 1u);
  // The same broken bytes on the next refresh: still failed, not counted again.
  EXPECT_EQ(store->reload().result, result::failed);
  EXPECT_EQ(metrics->reload_failures.value(), 1u);
  // Fixed: loads.
  rotate("fixed.example.com", 7);
  EXPECT_EQ(store->reload().result, result::reloaded);
  EXPECT_NE(store->current(), before);
}

TEST_F(TlsContextStore, CertificateWithoutItsNewKeyIsRejectedUntilBothArrive) {
  auto store = make_store();
  auto before = store->current();
  cert_spec spec;
  spec.serial = 9;
  auto leaf = test::make_cert(spec, &ca);
  dir.write_certs("server.pem", {leaf.cert});  // key not yet replaced
  auto out = store->reload();
  EXPECT_EQ(out.result, result::failed);
  EXPECT_EQ(out.failure->cause, tls_load_error::key_mismatch);
  EXPECT_EQ(store->current(), before);
  dir.write_key("server.key", leaf.key);
  EXPECT_EQ(store->reload().result, result::reloaded);
}

TEST_F(TlsContextStore, ClientStoreHandshakesWithServerStore) {
  auto server = make_store();
  auto client = tls_context_store::for_client("upstream", client_settings(), nullptr);
  ASSERT_TRUE(client) << client.failure->message;
  auto out = test::run_handshake(server->current(), client.value->current(), [&](SSL* ssl) {
    ASSERT_TRUE(prepare_client_ssl(ssl, client_settings(), "localhost"));
  });
  EXPECT_FALSE(out.client_ec) << out.client_ec.message();
}

}  // namespace
}  // namespace kpp::net
