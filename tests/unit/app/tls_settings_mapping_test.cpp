#include "kpp/app/tls_settings_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace kpp::app {
namespace {

TEST(TlsSettingsMapping, ListenerKeysMapOneToOne) {
  config::listener_tls_config t;
  t.enabled = true;
  t.cert_file = "/s.pem";
  t.key_file = "/s.key";
  t.key_password.file = "/pw";
  t.min_version = config::tls_min_version::v1_3;
  t.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"};
  t.curves = {"X25519"};
  t.client_ca_file = "/ca.pem";
  t.client_auth = config::tls_client_auth::request;
  t.allowed_client_subjects = {{"ticdc", {"US"}, {}, {}, {"pingcap"}, {"cdc"}}};
  t.crl_file = "/crl.pem";
  const auto s = tls_server_settings_from(t);
  EXPECT_EQ(s.cert_file, "/s.pem");
  EXPECT_EQ(s.key_file, "/s.key");
  EXPECT_EQ(s.key_password.file, "/pw");
  EXPECT_EQ(s.min_version, net::tls_version::v1_3);
  EXPECT_EQ(s.cipher_suites, t.cipher_suites);
  EXPECT_EQ(s.curves, t.curves);
  EXPECT_EQ(s.client_ca_file, "/ca.pem");
  EXPECT_EQ(s.client_auth, net::tls_client_auth::request);
  ASSERT_EQ(s.allowed_client_subjects.size(), 1u);
  EXPECT_EQ(s.allowed_client_subjects[0].common_name, "ticdc");
  EXPECT_EQ(s.allowed_client_subjects[0].country, std::vector<std::string>{"US"});
  EXPECT_EQ(s.allowed_client_subjects[0].organizational_unit, std::vector<std::string>{"cdc"});
  EXPECT_EQ(s.crl_file, "/crl.pem");
}

TEST(TlsSettingsMapping, UpstreamKeysAndPasswordFromTheEnvironment) {
  ::setenv("KPP_TLS_MAPPING_TEST_PW", "from-env", 1);
  config::upstream_tls_config t;
  t.enabled = true;
  t.ca_file = "/ca.pem";
  t.system_pool = true;
  t.cert_file = "/c.pem";
  t.key_file = "/c.key";
  t.key_password.env = "KPP_TLS_MAPPING_TEST_PW";
  t.insecure_skip_verify = true;
  t.server_name = "kafka.internal";
  const auto s = tls_client_settings_from(t);
  EXPECT_EQ(s.ca_file, "/ca.pem");
  EXPECT_TRUE(s.system_pool);
  EXPECT_EQ(s.cert_file, "/c.pem");
  EXPECT_EQ(s.key_password.value, "from-env");
  EXPECT_TRUE(s.key_password.file.empty());
  EXPECT_TRUE(s.insecure_skip_verify);
  EXPECT_EQ(s.server_name, "kafka.internal");
  ::unsetenv("KPP_TLS_MAPPING_TEST_PW");
}

TEST(TlsSettingsMapping, WarningsNeverCarryTheSecret) {
  config::listener_tls_config l;
  l.enabled = true;
  l.key_password.value = "hunter2";
  config::upstream_tls_config u;
  u.enabled = true;
  u.insecure_skip_verify = true;
  const auto w = tls_startup_warnings(l, u);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_THAT(w[0], ::testing::HasSubstr("upstream.tls.insecure_skip_verify"));
  for (const auto& line : w) EXPECT_EQ(line.find("hunter2"), std::string::npos);
  EXPECT_TRUE(tls_startup_warnings({}, {}).empty());
}

}  // namespace
}  // namespace kpp::app
