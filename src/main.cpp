// kafka-psc-proxy: a Kafka-protocol-aware TCP proxy for Private Service Connect / PrivateLink.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "kpp/app/allocator_tuning.h"
#include "kpp/app/check_command.h"
#include "kpp/app/demo.h"
#include "kpp/app/logging.h"
#include "kpp/app/proxy_app.h"
#include "kpp/app/users_command.h"
#include "kpp/config/flag_parser.h"

int main(int argc, char** argv) {
  auto cmd = kpp::config::parse_command_line(argc, argv);
  if (!cmd) {
    std::fprintf(stderr, "kafka-psc-proxy: %s\n", cmd.error().message.c_str());
    return cmd.error().exit_code;
  }
  switch (cmd->mode) {
    case kpp::config::run_mode::help:
      std::fputs(cmd->help_text.c_str(), stdout);
      return 0;
    case kpp::config::run_mode::version:
      std::printf("kafka-psc-proxy %s\n", KPP_VERSION);
      return 0;
    case kpp::config::run_mode::check_config:
      std::printf("%s", kpp::config::to_yaml(cmd->cfg).c_str());
      return 0;
    case kpp::config::run_mode::check:
      return kpp::app::run_check(
          cmd->cfg, cmd->config_path.empty() ? "server flags" : "config " + cmd->config_path,
          cmd->check);
    case kpp::config::run_mode::demo:
      return kpp::app::run_demo(cmd->demo_messages);
    case kpp::config::run_mode::users_add:
      return kpp::app::run_users_add(cmd->users);
    case kpp::config::run_mode::run:
      break;
  }
  kpp::app::tune_allocator();  // before the I/O threads start
  kpp::app::setup_logging(cmd->cfg.log);
  spdlog::info(
      "kafka-psc-proxy {} starting{}", KPP_VERSION,
      cmd->config_path.empty() ? " (grepplabs-compatible flags)" : " with " + cmd->config_path);
  for (const auto& notice : cmd->notices) spdlog::warn("{}", notice);
  kpp::app::proxy_app app(cmd->cfg, cmd->config_path);
  return app.run();
}
