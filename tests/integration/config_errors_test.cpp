// A bad configuration stops the binary with exit status 2 and one message naming the key
// and the expected form, both for `check-config` and for a real start; the shipped reference
// file and examples load.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/proxy_process.h"

using namespace std::chrono_literals;
using namespace kpp::test;

namespace {

// A valid configuration; each case replaces one part of it.
std::string valid_yaml(const std::string& brokers_extra = "", const std::string& top_extra = "",
                       const std::string& advertised = "b{node_id}.example.com") {
  return "listen: 127.0.0.1\n" + top_extra +
         "bootstrap:\n"
         "  servers: [127.0.0.1:9092]\n"
         "  listeners:\n"
         "    - listen: 127.0.0.1:9092\n"
         "brokers:\n"
         "  port_policy: node-id\n"
         "  base_port: 9100\n"
         "  port_range: 16\n"
         "  advertised_host: \"" +
         advertised + "\"\n" + brokers_extra +
         "admin:\n"
         "  enabled: false\n";
}

class temp_file {
 public:
  explicit temp_file(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() /
             ("kpp-config-errors-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
              ".yaml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~temp_file() { std::filesystem::remove(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

struct run_result {
  int status = -1;
  std::string output;
};

run_result run(std::vector<std::string> args) {
  proxy_process p(std::move(args));
  const auto status = p.wait_exit(20s);
  run_result r{status.value_or(-1), p.output()};
  if (!status) r.output += "\n(did not exit within 20 s)";
  return r;
}

// Both ways of loading must refuse `yaml` with exit 2 and a message holding every `needle`.
void expect_refused(const std::string& yaml, const std::vector<std::string>& needles) {
  temp_file file(yaml);
  for (const auto& args : {std::vector<std::string>{"check-config", file.path()},
                           std::vector<std::string>{"--config", file.path()}}) {
    const auto r = run(args);
    EXPECT_EQ(r.status, 2) << args[0] << "\n" << r.output;
    for (const auto& needle : needles)
      EXPECT_NE(r.output.find(needle), std::string::npos)
          << args[0] << ": no \"" << needle << "\" in:\n"
          << r.output;
  }
}

TEST(ConfigErrors, TheBaseConfigurationIsValid) {
  // Guards the cases below: each must fail for its own reason, not for the base.
  temp_file file(valid_yaml());
  const auto r = run({"check-config", file.path()});
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ConfigErrors, UnknownKeyIsNamedWithTheKnownKeys) {
  expect_refused(valid_yaml("", "bogus_key: 1\n"),
                 {"bogus_key", "unknown key", "expected one of", "bootstrap"});
  expect_refused(valid_yaml("  base_prot: 9200\n"), {"base_prot", "unknown key"});
}

TEST(ConfigErrors, WrongTypeNamesTheKeyAndTheExpectedForm) {
  expect_refused(valid_yaml("", "threads: many\n"), {"threads", "\"many\"", "integer"});
  expect_refused(valid_yaml("", "forbidden_api_keys: 20\n"), {"forbidden_api_keys"});
}

TEST(ConfigErrors, InvalidAdvertisedHostTemplateNamesThePlaceholder) {
  expect_refused(valid_yaml("", "", "b{nodeid}.x"),
                 {"brokers.advertised_host", "{nodeid}", "{node_id}"});
}

TEST(ConfigErrors, PortOutOfRangeIsRefused) {
  auto yaml = valid_yaml();
  yaml.replace(yaml.find("base_port: 9100"), 15, "base_port: 70000");
  expect_refused(yaml, {"brokers.base_port", "70000", "65535"});
  yaml = valid_yaml();
  yaml.replace(yaml.find("listen: 127.0.0.1:9092"), 22, "listen: 127.0.0.1:99092");
  expect_refused(yaml, {"bootstrap.listeners[0].listen", "99092"});
}

TEST(ConfigErrors, BootstrapListenerInsideTheNodeIdRangeIsACollision) {
  auto yaml = valid_yaml();
  yaml.replace(yaml.find("listen: 127.0.0.1:9092"), 22, "listen: 127.0.0.1:9105");
  expect_refused(yaml, {"brokers.base_port", "bootstrap.listeners[0].listen", "9105", "overlap"});
}

TEST(ConfigErrors, MissingFileIsNamed) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("kpp-no-such-config-" + std::to_string(::getpid()) + ".yaml"))
                               .string();
  for (const auto& args : {std::vector<std::string>{"check-config", path},
                           std::vector<std::string>{"--config", path}}) {
    const auto r = run(args);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("cannot be read"), std::string::npos) << r.output;
  }
}

TEST(ConfigErrors, ShippedReferenceAndExamplesLoad) {
  const std::filesystem::path root = KPP_SOURCE_DIR;
  std::vector<std::filesystem::path> files{root / "config" / "kafka-psc-proxy.yaml"};
  for (const auto& e : std::filesystem::directory_iterator(root / "config" / "examples"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  ASSERT_GE(files.size(), 2u);
  for (const auto& f : files) {
    const auto r = run({"check-config", f.string()});
    EXPECT_EQ(r.status, 0) << f << "\n" << r.output;
    // check-config prints the validated configuration.
    EXPECT_NE(r.output.find("port_policy:"), std::string::npos) << f << "\n" << r.output;
  }
}

}  // namespace
