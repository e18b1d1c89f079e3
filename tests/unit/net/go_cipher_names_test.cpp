#include "kpp/net/go_cipher_names.h"

#include <gtest/gtest.h>

namespace kpp::net {
namespace {

TEST(GoCipherNames, TranslatesGoSuiteNames) {
  EXPECT_EQ(openssl_cipher_for_go("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(openssl_cipher_for_go("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(openssl_cipher_for_go("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
            "ECDHE-RSA-CHACHA20-POLY1305");
  EXPECT_EQ(openssl_cipher_for_go("TLS_RSA_WITH_AES_128_CBC_SHA"), "AES128-SHA");
}

TEST(GoCipherNames, OpenSslNamesAreNotInTheTable) {
  EXPECT_FALSE(openssl_cipher_for_go("ECDHE-RSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(openssl_cipher_for_go("TLS_AES_128_GCM_SHA256"));
}

TEST(GoCipherNames, RecognisesTls13Suites) {
  EXPECT_TRUE(is_tls13_suite("TLS_AES_128_GCM_SHA256"));
  EXPECT_TRUE(is_tls13_suite("TLS_CHACHA20_POLY1305_SHA256"));
  EXPECT_FALSE(is_tls13_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
}

TEST(GoCipherNames, TranslatesCurveSpellings) {
  EXPECT_EQ(openssl_curve_name("CurveP256"), "P-256");
  EXPECT_EQ(openssl_curve_name("P384"), "P-384");
  EXPECT_EQ(openssl_curve_name("secp521r1"), "P-521");
  EXPECT_EQ(openssl_curve_name("X25519"), "X25519");
  EXPECT_EQ(openssl_curve_name("P-256"), "P-256");  // passed through for OpenSSL to judge
}

}  // namespace
}  // namespace kpp::net
