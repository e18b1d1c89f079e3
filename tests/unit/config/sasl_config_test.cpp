#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kpp/config/flag_parser.h"
#include "kpp/config/sasl_flags.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* base = R"(
bootstrap:
  servers: [10.0.0.1:9092]
brokers:
  base_port: 9100
  advertised_host: b{node_id}.example.com
)";

const std::vector<std::string> flag_base = {"--bootstrap-server-mapping",
                                            "10.0.0.1:9092,0.0.0.0:9092"};

std::vector<std::string> with_base(std::vector<std::string> extra) {
  auto out = flag_base;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

class SaslConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kpp-sasl-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "pw") << "secret\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string p(const char* f) const { return (dir_ / f).string(); }

  result<config> yaml(const std::string& sasl) const {
    return load_yaml_string(std::string(base) + "upstream:\n  sasl:\n" + sasl);
  }

  std::filesystem::path dir_;
};

TEST_F(SaslConfig, UpstreamSaslFromYaml) {
  auto c = yaml("    mechanism: SCRAM-SHA-256\n    username: proxy\n    password_file: " + p("pw") +
                "\n");
  ASSERT_TRUE(c) << c.error().message;
  const auto& s = c->upstream.sasl;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(s.username, "proxy");
  EXPECT_EQ(s.password_file, p("pw"));
  EXPECT_TRUE(s.password.empty());
}

TEST_F(SaslConfig, DefaultsToScramSha512AndIsOffWithoutTheSection) {
  auto off = load_yaml_string(base);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->upstream.sasl.enabled);
  auto c = yaml("    username: proxy\n    password_file: " + p("pw") + "\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->upstream.sasl.mechanism, "SCRAM-SHA-512");
}

TEST_F(SaslConfig, PasswordFromTheEnvironment) {
  ::setenv("KPP_TEST_SASL_PW", "x", 1);
  auto c = yaml("    username: proxy\n    password_env: KPP_TEST_SASL_PW\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->upstream.sasl.password_env, "KPP_TEST_SASL_PW");
  auto unset = yaml("    username: proxy\n    password_env: KPP_TEST_SASL_PW_UNSET\n");
  ASSERT_FALSE(unset);
  EXPECT_THAT(unset.error().message, HasSubstr("upstream.sasl.password_env: environment variable "
                                               "KPP_TEST_SASL_PW_UNSET is not set"));
}

TEST_F(SaslConfig, APasswordInTheYamlIsRefused) {
  auto c = yaml("    username: proxy\n    password: hunter2\n");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message,
              HasSubstr("upstream.sasl.password: is not read from the YAML (the config file is "
                        "world-readable)"));
  EXPECT_THAT(c.error().message, Not(HasSubstr("hunter2")));
}

TEST_F(SaslConfig, Problems) {
  struct row {
    std::string sasl;
    const char* message;
  };
  for (const auto& r : std::vector<row>{
           {"    mechanism: OAUTHBEARER\n    username: u\n    password_file: " + p("pw") + "\n",
            "upstream.sasl.mechanism: \"OAUTHBEARER\" is not supported; expected PLAIN, "
            "SCRAM-SHA-256 or SCRAM-SHA-512"},
           {"    mechanism: GSSAPI\n    username: u\n    password_file: " + p("pw") + "\n",
            "upstream.sasl.mechanism: \"GSSAPI\" is not supported"},
           {"    password_file: " + p("pw") + "\n", "upstream.sasl.username: is missing"},
           {"    username: u\n", "upstream.sasl.password_file: is missing"},
           {"    username: u\n    password_file: " + p("pw") + "\n    password_env: HOME\n",
            "give the password one way"},
           {"    username: u\n    password_file: " + p("nope") + "\n",
            "cannot be read; expected a file holding the password"},
       }) {
    auto c = yaml(r.sasl);
    ASSERT_FALSE(c) << r.sasl;
    EXPECT_THAT(c.error().message, HasSubstr(r.message));
    EXPECT_EQ(c.error().exit_code, 2);
  }
}

TEST_F(SaslConfig, RoundTripsThroughToYaml) {
  auto c = yaml("    mechanism: PLAIN\n    username: proxy\n    password_file: " + p("pw") + "\n");
  ASSERT_TRUE(c) << c.error().message;
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(again->upstream.sasl, c->upstream.sasl);
}

// discovery.sasl: the proxy's own discovery login in pass-through mode, upstream.sasl's shape.
TEST_F(SaslConfig, DiscoverySaslFromYaml) {
  auto c = load_yaml_string(std::string(base) +
                            "discovery:\n  sasl:\n    mechanism: SCRAM-SHA-256\n    username: "
                            "watcher\n    password_file: " +
                            p("pw") + "\n");
  ASSERT_TRUE(c) << c.error().message;
  const auto& s = c->discovery.sasl;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(s.username, "watcher");
  EXPECT_EQ(s.password_file, p("pw"));
  EXPECT_FALSE(c->upstream.sasl.enabled);  // client sessions stay pass-through
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(again->discovery.sasl, s);
  auto off = load_yaml_string(base);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->discovery.sasl.enabled);
}

TEST_F(SaslConfig, DiscoverySaslProblemsNameTheirKey) {
  struct row {
    std::string sasl;
    const char* message;
  };
  for (const auto& r : std::vector<row>{
           {"    username: u\n    password: hunter2\n",
            "discovery.sasl.password: is not read from the YAML"},
           {"    mechanism: GSSAPI\n    username: u\n    password_file: " + p("pw") + "\n",
            "discovery.sasl.mechanism: \"GSSAPI\" is not supported"},
           {"    password_file: " + p("pw") + "\n", "discovery.sasl.username: is missing"},
           {"    username: u\n", "discovery.sasl.password_file: is missing"},
           {"    username: u\n    password_env: KPP_TEST_DISCOVERY_PW_UNSET\n",
            "discovery.sasl.password_env: environment variable KPP_TEST_DISCOVERY_PW_UNSET is not "
            "set"},
           {"    username: u\n    password_file: " + p("pw") + "\n    bogus: 1\n",
            "discovery.sasl"},
       }) {
    auto c = load_yaml_string(std::string(base) + "discovery:\n  sasl:\n" + r.sasl);
    ASSERT_FALSE(c) << r.sasl;
    EXPECT_THAT(c.error().message, HasSubstr(r.message));
    EXPECT_THAT(c.error().message, Not(HasSubstr("hunter2")));
    EXPECT_EQ(c.error().exit_code, 2);
  }
}

TEST_F(SaslConfig, DiscoverySaslWithUpstreamSaslIsRefused) {
  auto c = load_yaml_string(std::string(base) + "upstream:\n  sasl:\n    username: u\n" +
                            "    password_file: " + p("pw") + "\n" +
                            "discovery:\n  sasl:\n    username: w\n    password_file: " + p("pw") +
                            "\n");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message,
              HasSubstr("discovery.sasl: is only for pass-through SASL (clients log in to the "
                        "brokers themselves); upstream.sasl is set"));
  EXPECT_EQ(c.error().exit_code, 2);
}

TEST_F(SaslConfig, GrepplabsSaslFlagsMapToUpstreamSasl) {
  std::vector<std::string> notices;
  auto c = parse_server_flags(with_base({"--sasl-enable", "--sasl-username", "alice",
                                         "--sasl-password=pw", "--sasl-method", "SCRAM-SHA-512"}),
                              &notices);
  ASSERT_TRUE(c) << c.error().message;
  const auto& s = c->upstream.sasl;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(s.username, "alice");
  EXPECT_EQ(s.password, "pw");
  ASSERT_FALSE(notices.empty());
  EXPECT_THAT(notices.back(), HasSubstr("--sasl-password is visible"));
  // The password from the command line is never written out.
  EXPECT_THAT(to_yaml(*c), Not(HasSubstr("pw\"")));
}

TEST_F(SaslConfig, GrepplabsDefaultMethodIsPlain) {
  auto c = parse_server_flags(
      with_base({"--sasl-enable", "--sasl-username=alice", "--sasl-password=pw"}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->upstream.sasl.mechanism, "PLAIN");
}

TEST_F(SaslConfig, SaslFlagsWithoutEnableHaveNoEffect) {
  std::vector<std::string> notices;
  auto c = parse_server_flags(with_base({"--sasl-username=alice"}), &notices);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->upstream.sasl.enabled);
  ASSERT_FALSE(notices.empty());
  EXPECT_THAT(notices.back(),
              HasSubstr("--sasl-* accepted without effect: --sasl-enable is not set"));
}

TEST_F(SaslConfig, JaasConfigFile) {
  std::ofstream(p("jaas.conf")) << "KafkaClient {\n"
                                   "  org.apache.kafka.common.security.scram.ScramLoginModule "
                                   "required\n  username=\"bob\"\n  password='b0b pw';\n};\n";
  auto c = parse_server_flags(with_base(
      {"--sasl-enable", "--sasl-method=SCRAM-SHA-256", "--sasl-jaas-config-file", p("jaas.conf")}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->upstream.sasl.username, "bob");
  EXPECT_EQ(c->upstream.sasl.password, "b0b pw");

  std::ofstream(p("empty.conf")) << "KafkaClient { };\n";
  auto bad =
      parse_server_flags(with_base({"--sasl-enable", "--sasl-jaas-config-file", p("empty.conf")}));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("has no username=\"...\" and password=\"...\""));
}

TEST_F(SaslConfig, EnableWithoutPasswordIsRefused) {
  auto c = parse_server_flags(with_base({"--sasl-enable", "--sasl-username=alice"}));
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("--sasl-enable needs the password"));
  EXPECT_EQ(c.error().exit_code, 2);
}

TEST_F(SaslConfig, UnmappedAuthFlagsAreRefusedNamingWhatIsOffered) {
  struct row {
    std::vector<std::string> args;
    const char* message;
  };
  for (const auto& r : std::vector<row>{
           {{"--sasl-aws-region", "us-east-1"},
            "--sasl-aws-region: AWS MSK IAM login is not supported"},
           {{"--sasl-aws-role-arn", "arn"}, "SCRAM-SHA-512"},
           {{"--gssapi-keytab", "k"}, "--gssapi-keytab: Kerberos (GSSAPI) is not supported"},
           {{"--sasl-plugin-enable"}, "external SASL plugin binaries are not supported"},
           {{"--auth-local-command", "x"}, "users file of salted SCRAM credentials"},
           {{"--auth-gateway-server-enable"}, "the auth gateway between two proxies"},
           {{"--sasl-enable", "--sasl-method", "AWS_MSK_IAM"}, "AWS MSK IAM is not supported"},
           {{"--sasl-enable", "--sasl-method", "OAUTHBEARER"}, "OAUTHBEARER is not supported"},
           {{"--sasl-enable", "--sasl-method", "GSSAPI"},
            "--sasl-method: \"GSSAPI\" is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},
       }) {
    auto c = parse_server_flags(with_base(r.args));
    ASSERT_FALSE(c) << r.args[0];
    EXPECT_THAT(c.error().message, HasSubstr(r.message));
    EXPECT_EQ(c.error().exit_code, 2);
  }
}

TEST_F(SaslConfig, ListenerSaslFromYaml) {
  std::ofstream(p("users")) << "";
  auto c = load_yaml_string(std::string(base) +
                            "listeners:\n  sasl:\n    mechanisms: [PLAIN, SCRAM-SHA-512]\n"
                            "    users_file: " +
                            p("users") + "\n");
  ASSERT_TRUE(c) << c.error().message;
  const auto& s = c->listeners.sasl;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mechanisms, (std::vector<std::string>{"PLAIN", "SCRAM-SHA-512"}));
  EXPECT_EQ(s.users_file, p("users"));
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(again->listeners, c->listeners);

  auto bad =
      load_yaml_string(std::string(base) + "listeners:\n  sasl:\n    mechanisms: [OAUTHBEARER]\n");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("listeners.sasl.mechanisms[0]: \"OAUTHBEARER\" is "
                                             "not supported"));
  EXPECT_THAT(bad.error().message, HasSubstr("listeners.sasl.users_file: is missing"));
}

TEST_F(SaslConfig, AuthLocalFlagsMapToListenerSasl) {
  std::ofstream(p("users")) << "";
  auto c = parse_server_flags(with_base({"--auth-local-enable", "--auth-local-mechanism=PLAIN",
                                         "--auth-local-users-file", p("users")}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->listeners.sasl.enabled);
  EXPECT_EQ(c->listeners.sasl.mechanisms, std::vector<std::string>{"PLAIN"});
  EXPECT_EQ(c->listeners.sasl.users_file, p("users"));

  auto missing = parse_server_flags(with_base({"--auth-local-enable"}));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message,
              HasSubstr("--auth-local-enable needs --auth-local-users-file"));
}

TEST(UsersCommand, ParsesAddWithFileAndIterations) {
  const char* argv[] = {"kafka-psc-proxy",   "users", "add", "alice", "--file", "/tmp/u",
                        "--iterations=10000"};
  auto cl = parse_command_line(7, argv);
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->mode, run_mode::users_add);
  EXPECT_EQ(cl->users.name, "alice");
  EXPECT_EQ(cl->users.file, "/tmp/u");
  EXPECT_EQ(cl->users.iterations, 10000u);
  const char* bad[] = {"kafka-psc-proxy", "users", "add", "alice", "--iterations", "10"};
  auto e = parse_command_line(6, bad);
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error().message, HasSubstr("--iterations \"10\" is not an integer"));
  const char* none[] = {"kafka-psc-proxy", "users", "list"};
  EXPECT_FALSE(parse_command_line(3, none));
}

TEST(Jaas, ParsesQuotedValuesAndIgnoresLookalikes) {
  auto j = parse_jaas("x required myusername=\"no\" username = \"u\" password=\"p;w\";");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->username, "u");
  EXPECT_EQ(j->password, "p;w");
  EXPECT_FALSE(parse_jaas("username=\"u\""));
}

}  // namespace
}  // namespace kpp::config
