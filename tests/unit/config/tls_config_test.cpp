#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kpp/config/flag_parser.h"
#include "kpp/config/tls_flags.h"
#include "kpp/config/validate.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* base = R"(
bootstrap:
  servers: [10.0.0.1:9092]
brokers:
  base_port: 9100
  advertised_host: b{node_id}.example.com
)";

// Readable files for the readability checks (contents are not parsed at validation).
class TlsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kpp-tls-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    for (const char* f : {"server.pem", "server.key", "ca.pem", "crl.pem", "pw"})
      std::ofstream(dir_ / f) << "x\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string p(const char* f) const { return (dir_ / f).string(); }

  std::string listener_tls(const std::string& extra = "") const {
    return std::string(base) + "tls:\n  cert_file: " + p("server.pem") +
           "\n  key_file: " + p("server.key") + "\n" + extra;
  }

  std::filesystem::path dir_;
};

TEST_F(TlsConfig, ParsesEveryListenerKey) {
  auto text = std::string(base) + R"(
tls:
  enabled: false
  cert_file: /a/server.pem
  key_file: /a/server.key
  key_password_file: /a/pw
  min_version: "1.3"
  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
  curves: X25519,P-256
  client_ca_file: /a/ca.pem
  client_auth: require
  allowed_client_subjects:
    - common_name: ticdc
      organization: [pingcap]
  crl_file: /a/crl.pem
  refresh: 30s
upstream:
  tls:
    enabled: false
    ca_file: /a/ca.pem
    system_pool: true
    cert_file: /a/c.pem
    key_file: /a/c.key
    key_password_env: KPP_TEST_PW
    insecure_skip_verify: true
    server_name: kafka.internal
    refresh: 2m
)";
  auto c = load_yaml_string(text);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const auto& t = c->tls;
  EXPECT_FALSE(t.enabled);
  EXPECT_EQ(t.cert_file, "/a/server.pem");
  EXPECT_EQ(t.key_password.file, "/a/pw");
  EXPECT_EQ(t.min_version, tls_min_version::v1_3);
  EXPECT_EQ(t.cipher_suites, (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256",
                                                       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}));
  EXPECT_EQ(t.curves, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_EQ(t.client_auth, tls_client_auth::require);
  ASSERT_EQ(t.allowed_client_subjects.size(), 1u);
  EXPECT_EQ(t.allowed_client_subjects[0].common_name, "ticdc");
  EXPECT_EQ(t.allowed_client_subjects[0].organization, std::vector<std::string>{"pingcap"});
  EXPECT_EQ(t.refresh, millis(30000));
  const auto& u = c->upstream.tls;
  EXPECT_TRUE(u.system_pool);
  EXPECT_TRUE(u.insecure_skip_verify);
  EXPECT_EQ(u.key_password.env, "KPP_TEST_PW");
  EXPECT_EQ(u.server_name, "kafka.internal");
  EXPECT_EQ(u.refresh, millis(120000));

  // check-config's output reads back to the same config.
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again.has_value()) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(*again, *c);
}

TEST_F(TlsConfig, DefaultsAreOffWithTls12AndOneMinuteRefresh) {
  auto c = load_yaml_string(base);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->tls.enabled);
  EXPECT_FALSE(c->upstream.tls.enabled);
  EXPECT_EQ(c->tls.min_version, tls_min_version::v1_2);
  EXPECT_EQ(c->tls.refresh, millis(60000));
  EXPECT_EQ(c->upstream.tls.refresh, millis(60000));
}

TEST_F(TlsConfig, BootstrapListenerOverrideIsPrinted) {
  config c;
  bootstrap_listener l;
  l.listen = {"0.0.0.0", 9092};
  l.tls = listener_tls_config{};
  l.tls->cert_file = "/b.pem";
  c.bootstrap.listeners = {l};
  const auto y = to_yaml(c);
  EXPECT_THAT(y, HasSubstr("    - listen: \"0.0.0.0:9092\"\n      tls:\n        enabled: false\n"
                           "        cert_file: \"/b.pem\"\n"));
}

TEST_F(TlsConfig, BadValuesNameTheKeyAndTheExpectedForm) {
  auto e = load_yaml_string(std::string(base) + "tls:\n  min_version: \"1.1\"\n", "t.yaml");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.min_version: \"1.1\" is not a TLS version; "
                                           "expected \"1.2\" or \"1.3\""));
  e = load_yaml_string(std::string(base) + "tls:\n  client_auth: maybe\n", "t.yaml");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.client_auth: \"maybe\" is not valid; expected "
                                           "none, request or require"));
  e = load_yaml_string(std::string(base) + "upstream:\n  tls:\n    verify: no\n", "t.yaml");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("upstream.tls.verify: unknown key"));
}

TEST_F(TlsConfig, MissingCertificateAndKey) {
  auto e = load_yaml_string(std::string(base) + "tls:\n  enabled: true\n");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.cert_file: is missing; expected a PEM "
                                           "certificate chain"));
  EXPECT_THAT(e.error().message, HasSubstr("tls.key_file: is missing"));
  EXPECT_EQ(e.error().exit_code, 2);
}

TEST_F(TlsConfig, UnreadableFile) {
  auto e = load_yaml_string(std::string(base) +
                            "tls:\n  cert_file: /nonexistent/s.pem\n  "
                            "key_file: " +
                            p("server.key") + "\n");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.cert_file: \"/nonexistent/s.pem\" cannot be read"));
}

TEST_F(TlsConfig, ClientAuthNeedsACa) {
  auto e = load_yaml_string(listener_tls("  client_auth: require\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.client_ca_file: is missing; client_auth require "
                                           "needs the CA that signs client certificates"));
  e = load_yaml_string(listener_tls("  client_ca_file: " + p("ca.pem") + "\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.client_auth: is none but client_ca_file is set"));
  e = load_yaml_string(listener_tls("  client_ca_file: " + p("ca.pem") +
                                    "\n  client_auth: request\n  allowed_client_subjects:\n"
                                    "    - common_name: x\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message,
              HasSubstr("tls.allowed_client_subjects: needs client_auth: require"));
}

TEST_F(TlsConfig, CipherListIsAListNotAnOpenSslString) {
  auto e =
      load_yaml_string(listener_tls("  cipher_suites: [\"ECDHE-RSA-AES128-GCM-SHA256:HIGH\"]\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.cipher_suites[0]: \"ECDHE-RSA-AES128-GCM-SHA256:"
                                           "HIGH\" is not one name"));
}

TEST_F(TlsConfig, PasswordSources) {
  auto e = load_yaml_string(
      listener_tls("  key_password_file: " + p("pw") + "\n  key_password_env: X\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("give the key password one way"));
  ::unsetenv("KPP_TLS_TEST_UNSET");
  e = load_yaml_string(listener_tls("  key_password_env: KPP_TLS_TEST_UNSET\n"));
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("tls.key_password_env: environment variable "
                                           "KPP_TLS_TEST_UNSET is not set"));
}

TEST_F(TlsConfig, UpstreamClientCertificateNeedsItsKey) {
  auto e = load_yaml_string(std::string(base) +
                            "upstream:\n  tls:\n    cert_file: " + p("server.pem") + "\n");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("upstream.tls.key_file: is missing"));
}

TEST_F(TlsConfig, ListenerAndUpstreamTlsAreAcceptedOverridesAreRefused) {
  auto ok = load_yaml_string(listener_tls());
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(ok->tls.enabled);
  auto up = load_yaml_string(std::string(base) + "upstream:\n  tls:\n    enabled: true\n");
  ASSERT_TRUE(up.has_value()) << up.error().message;
  EXPECT_TRUE(up->upstream.tls.enabled);
  EXPECT_TRUE(up->upstream.tls.ca_file.empty());  // the system trust store
  auto e = load_yaml_string(R"(
bootstrap:
  servers: [10.0.0.1:9092]
  listeners:
    - listen: 0.0.0.0:9092
      tls:
        enabled: false
brokers:
  base_port: 9100
  advertised_host: b{node_id}.example.com
)");
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("bootstrap.listeners[0].tls: not supported yet"));
}

TEST_F(TlsConfig, ListenerAndUpstreamFlagsRun) {
  const std::vector<std::string> listener{"--bootstrap-server-mapping",
                                          "127.0.0.1:9092,0.0.0.0:9092",
                                          "--proxy-listener-tls-enable",
                                          "--proxy-listener-cert-file",
                                          p("server.pem"),
                                          "--proxy-listener-key-file",
                                          p("server.key")};
  auto c = parse_server_flags(listener, nullptr);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->tls.enabled);
  auto up = listener;
  up.insert(up.end(), {"--tls-ca-chain-cert-file", p("ca.pem"), "--tls-enable"});
  c = parse_server_flags(up, nullptr);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->upstream.tls.enabled);
  EXPECT_EQ(c->upstream.tls.ca_file, p("ca.pem"));
}

TEST(TlsFlags, MapOntoTheTlsSections) {
  config c;
  tls_flag_state s;
  std::vector<std::string> notices;
  const std::vector<std::pair<std::string, std::string>> flags{
      {"tls-enable", "true"},
      {"tls-ca-chain-cert-file", "/ca.pem"},
      {"tls-client-cert-file", "/c.pem"},
      {"tls-client-key-file", "/c.key"},
      {"tls-client-key-password", "hunter2"},
      {"tls-insecure-skip-verify", "true"},
      {"tls-system-cert-pool", "true"},
      {"tls-refresh", "5m"},
      {"proxy-listener-tls-enable", "true"},
      {"proxy-listener-cert-file", "/s.pem"},
      {"proxy-listener-key-file", "/s.key"},
      {"proxy-listener-key-password", "pw2"},
      {"proxy-listener-ca-chain-cert-file", "/client-ca.pem"},
      {"proxy-listener-crl-file", "/crl.pem"},
      {"proxy-listener-cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,AES256-SHA"},
      {"proxy-listener-curve-preferences", "P256,X25519"},
      {"proxy-listener-tls-refresh", "10s"},
      {"proxy-listener-tls-client-cert-validate-subject", "true"},
      {"proxy-listener-tls-required-client-subject-common-name", "ticdc"},
      {"proxy-listener-tls-required-client-subject-organization", "pingcap"},
      {"proxy-listener-tls-required-client-subject-organizational-unit", "cdc,cloud"},
  };
  for (const auto& [name, value] : flags) {
    bool takes_value = false;
    ASSERT_TRUE(is_tls_flag(name, takes_value)) << name;
    EXPECT_EQ(apply_tls_flag(c, s, name, value, &notices), std::nullopt) << name;
  }
  finish_tls_flags(c, s);
  const auto& u = c.upstream.tls;
  EXPECT_TRUE(u.enabled && u.insecure_skip_verify && u.system_pool);
  EXPECT_EQ(u.ca_file, "/ca.pem");
  EXPECT_EQ(u.cert_file, "/c.pem");
  EXPECT_EQ(u.key_password.value, "hunter2");
  EXPECT_EQ(u.refresh, millis(300000));
  const auto& l = c.tls;
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.client_ca_file, "/client-ca.pem");
  EXPECT_EQ(l.client_auth, tls_client_auth::require);
  EXPECT_EQ(l.cipher_suites,
            (std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "AES256-SHA"}));
  EXPECT_EQ(l.curves, (std::vector<std::string>{"P256", "X25519"}));
  EXPECT_EQ(l.refresh, millis(10000));
  ASSERT_EQ(l.allowed_client_subjects.size(), 1u);
  EXPECT_EQ(l.allowed_client_subjects[0].common_name, "ticdc");
  EXPECT_EQ(l.allowed_client_subjects[0].organizational_unit,
            (std::vector<std::string>{"cdc", "cloud"}));
  // Both passwords on the command line: one warning each, never the password itself.
  ASSERT_EQ(notices.size(), 2u);
  for (const auto& n : notices) {
    EXPECT_THAT(n, HasSubstr("visible to every local user"));
    EXPECT_EQ(n.find("hunter2"), std::string::npos);
    EXPECT_EQ(n.find("pw2"), std::string::npos);
  }
}

TEST(TlsFlags, SubjectOnlyWithValidateSubject) {
  config c;
  tls_flag_state s;
  ASSERT_EQ(
      apply_tls_flag(c, s, "proxy-listener-tls-required-client-subject-common-name", "x", nullptr),
      std::nullopt);
  finish_tls_flags(c, s);
  EXPECT_TRUE(c.tls.allowed_client_subjects.empty());
}

TEST(TlsFlags, OneFlagSubjectAndBadValues) {
  config c;
  tls_flag_state s;
  EXPECT_EQ(apply_tls_flag(c, s, "proxy-listener-tls-required-client-subject",
                           "CN=ticdc,O=pingcap,OU=cdc", nullptr),
            std::nullopt);
  finish_tls_flags(c, s);
  ASSERT_EQ(c.tls.allowed_client_subjects.size(), 1u);
  EXPECT_EQ(c.tls.allowed_client_subjects[0].organization, std::vector<std::string>{"pingcap"});
  EXPECT_THAT(apply_tls_flag(c, s, "proxy-listener-tls-required-client-subject", "XX=1", nullptr)
                  .value_or(""),
              HasSubstr("\"XX\" is not a subject attribute; expected CN, C, ST, L, O or OU"));
  EXPECT_THAT(apply_tls_flag(c, s, "tls-refresh", "soon", nullptr).value_or(""),
              HasSubstr("--tls-refresh: \"soon\" is not a duration"));
}

TEST(TlsFlags, SameClientCertIsRefusedByName) {
  const std::vector<std::string> args{"--bootstrap-server-mapping", "127.0.0.1:9092,0.0.0.0:9092",
                                      "--tls-same-client-cert-enable"};
  auto c = parse_server_flags(args, nullptr);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message, "not supported yet: --tls-same-client-cert-enable");
  EXPECT_EQ(c.error().exit_code, 2);
}

}  // namespace
}  // namespace kpp::config
