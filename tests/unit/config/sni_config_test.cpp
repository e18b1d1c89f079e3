// routing: sni in the YAML file: read, defaulted, written back by to_yaml, and refused with a
// message saying what to change when it cannot work (no TLS, no {node_id}, extra ports).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kpp/config/config.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::config {
namespace {

using ::testing::HasSubstr;

// Readable stand-ins for the certificate files: validation checks they can be read.
class SniConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("kpp-sni-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
           "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "c.pem") << "x";
    std::ofstream(dir / "k.pem") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string yaml(const std::string& extra, const std::string& tls = "") const {
    return "listen: 127.0.0.1\nbootstrap:\n  servers: [10.0.0.1:9092]\n"
           "brokers:\n  advertised_host: b{node_id}.kafka.example.com\n" +
           (tls.empty() ? "tls:\n  cert_file: " + (dir / "c.pem").string() +
                              "\n  key_file: " + (dir / "k.pem").string() + "\n"
                        : tls) +
           extra;
  }

  std::filesystem::path dir;
};

TEST_F(SniConfig, ReadsDefaultsAndRoundTrips) {
  auto c = load_yaml_string(yaml("routing: sni\nsni:\n  bootstrap_host: kafka.example.com\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->routing, routing_mode::sni);
  EXPECT_EQ(c->sni.listen, (routing::host_port{"127.0.0.1", 9093}));
  EXPECT_EQ(c->sni.bootstrap_host, "kafka.example.com");
  EXPECT_TRUE(c->bootstrap.listeners.empty());  // no default 9092 bootstrap port in sni mode
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again.has_value()) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(*again, *c);
}

TEST_F(SniConfig, ListenTakesAnAddressOrABarePort) {
  auto c = load_yaml_string(
      yaml("routing: sni\nsni:\n  listen: 0.0.0.0:443\n  bootstrap_host: kafka.example.com\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->sni.listen, (routing::host_port{"0.0.0.0", 443}));
  c = load_yaml_string(yaml("routing: sni\nsni:\n  listen: 8443\n  bootstrap_host: k.example\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->sni.listen, (routing::host_port{"127.0.0.1", 8443}));
}

TEST_F(SniConfig, DefaultStaysOnePortPerBroker) {
  auto c = load_yaml_string(
      "listen: 127.0.0.1\nbootstrap:\n  servers: [10.0.0.1:9092]\nbrokers:\n"
      "  base_port: 9100\n  advertised_host: b{node_id}.example.com\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->routing, routing_mode::ports);
  EXPECT_EQ(c->bootstrap.listeners.size(), 1u);
}

TEST_F(SniConfig, RefusesWhatCannotWorkAndSaysWhatToDo) {
  struct bad {
    std::string text;
    const char* message;
  };
  const std::string no_tls = "admin:\n  enabled: false\n";
  const std::vector<bad> cases = {
      {yaml("routing: sni\nsni:\n  bootstrap_host: kafka.example.com\n", no_tls),
       "routing: sni needs TLS on the client side"},
      {yaml("routing: sni\n"), "sni.bootstrap_host: is missing; expected the name clients"},
      {yaml("routing: sni\nsni:\n  bootstrap_host: 10.0.0.9\n"),
       "sni.bootstrap_host: \"10.0.0.9\" is not a host name"},
      {yaml("routing: sni\nsni:\n  bootstrap_host: b1.kafka.example.com\n"),
       "is also a broker's name under brokers.advertised_host"},
      {"listen: 127.0.0.1\nbootstrap:\n  servers: [10.0.0.1:9092]\n  listeners:\n"
       "    - listen: 127.0.0.1:9092\nbrokers:\n  advertised_host: b{node_id}.k.example.com\n"
       "routing: sni\nsni:\n  bootstrap_host: k.example.com\n" +
           no_tls,
       "bootstrap.listeners: is set with routing: sni"},
      {yaml("routing: sni\nsni:\n  bootstrap_host: k.example.com\n  listen: 127.0.0.1:9080\n"),
       "sni.listen: port 9080 is also admin.address"},
      {yaml("routing: maybe\n"), "\"maybe\" is not a routing mode; expected ports or sni"},
      {yaml("routing: sni\nsni:\n  bootstrap_host: k.example.com\n  port: 1\n"),
       "sni.port: unknown key"},
  };
  for (const auto& c : cases) {
    auto r = load_yaml_string(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_THAT(r.error().message, HasSubstr(c.message)) << c.text;
  }
}

TEST_F(SniConfig, PerNameCertificatesAreReadCheckedAndRoundTrip) {
  const auto c = load_yaml_string(
      yaml("routing: sni\nsni:\n  bootstrap_host: kafka.example.com\n  certificates:\n"
           "    - cert_file: " +
           (dir / "c.pem").string() + "\n      key_file: " + (dir / "k.pem").string() + "\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->sni.certificates.size(), 1u);
  EXPECT_EQ(c->sni.certificates[0].cert_file, (dir / "c.pem").string());
  auto again = load_yaml_string(to_yaml(*c));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, *c);

  auto bad = load_yaml_string(
      yaml("routing: sni\nsni:\n  bootstrap_host: kafka.example.com\n  certificates:\n"
           "    - cert_file: /nonexistent/b1.pem\n"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message,
              HasSubstr("sni.certificates[0].cert_file: \"/nonexistent/b1.pem\" cannot be read"));
  EXPECT_THAT(bad.error().message, HasSubstr("sni.certificates[0].key_file: is missing"));
}

TEST_F(SniConfig, BrokerNamesNeedTheNodeId) {
  auto r = load_yaml_string(
      "listen: 127.0.0.1\nbootstrap:\n  servers: [10.0.0.1:9092]\nbrokers:\n"
      "  advertised_host: kafka.example.com\ntls:\n  cert_file: " +
      (dir / "c.pem").string() + "\n  key_file: " + (dir / "k.pem").string() +
      "\nrouting: sni\nsni:\n  bootstrap_host: boot.example.com\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message,
              HasSubstr("brokers.advertised_host: \"kafka.example.com\" has no {node_id}"));
}

}  // namespace
}  // namespace kpp::config
