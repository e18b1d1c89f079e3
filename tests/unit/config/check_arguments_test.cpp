// The `check` command line: its options, the config sources it shares with a start, and
// exit status 2 with the same messages when the config is bad.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kpp/config/flag_parser.h"

namespace kpp::config {
namespace {

result<command_line> run(std::vector<std::string> args) {
  std::vector<const char*> argv = {"kafka-psc-proxy"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

class CheckArguments : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("kpp-check-args-" + std::to_string(::getpid()) + ".yaml"))
                .string();
    std::ofstream(path_) << "bootstrap:\n  servers: [10.0.0.1:9092]\nbrokers:\n  base_port: 9100\n"
                            "  advertised_host: b{node_id}.example.com\n";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(CheckArguments, ConfigFormsAndOptions) {
  for (const auto& args : std::initializer_list<std::vector<std::string>>{
           {"check", path_},
           {"check", "--config", path_},
           {"check", "--config=" + path_, "--json"},
           {"check", "--through", "10.0.0.9", "--config", path_},
           {"check", "--through=[fd00::9]", path_}}) {
    auto cl = run(args);
    ASSERT_TRUE(cl.has_value()) << cl.error().message;
    EXPECT_EQ(cl->mode, run_mode::check);
    EXPECT_EQ(cl->config_path, path_);
    EXPECT_EQ(cl->cfg.brokers.base_port, 9100);
  }
  EXPECT_TRUE(run({"check", "--json", path_})->check.json);
  EXPECT_FALSE(run({"check", path_})->check.json);
  EXPECT_EQ(run({"check", "--through", "10.0.0.9", path_})->check.through, "10.0.0.9");
  EXPECT_EQ(run({"check", "--through=[fd00::9]", path_})->check.through, "fd00::9");
}

TEST_F(CheckArguments, ServerFlags) {
  auto cl = run({"check", "--through", "10.0.0.9", "server", "--bootstrap-server-mapping",
                 "10.0.0.1:9092,0.0.0.0:32400"});
  ASSERT_TRUE(cl.has_value()) << cl.error().message;
  EXPECT_EQ(cl->mode, run_mode::check);
  EXPECT_TRUE(cl->from_flags);
  EXPECT_EQ(cl->check.through, "10.0.0.9");
  ASSERT_EQ(cl->cfg.brokers.mappings.size(), 1u);
}

TEST_F(CheckArguments, ErrorsAreExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"check"},
      {"check", "--through"},
      {"check", "--through", "10.0.0.9:9092", path_},
      {"check", "/nonexistent.yaml"},
      {"check", "--bogus", path_},
      {"check", path_, "server", "--bootstrap-server-mapping", "10.0.0.1:9092,0.0.0.0:32400"},
      {"check", "server", "--no-such-flag"}};
  for (const auto& args : bad) {
    auto cl = run(args);
    ASSERT_FALSE(cl.has_value()) << args.back();
    EXPECT_EQ(cl.error().exit_code, 2);
  }
  // A bad config gives the same message as check-config.
  std::ofstream(path_) << "brokers:\n  base_port: 70000\n";
  auto check = run({"check", path_});
  auto check_config = run({"check-config", path_});
  ASSERT_FALSE(check.has_value());
  ASSERT_FALSE(check_config.has_value());
  EXPECT_EQ(check.error().message, check_config.error().message);
  EXPECT_NE(run({"check", "--through", "10.0.0.9:9092", path_}).error().message.find("has a port"),
            std::string::npos);
}

}  // namespace
}  // namespace kpp::config
