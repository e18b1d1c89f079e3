// The command line of kafka-psc-proxy, including `server`, which takes grepplabs/kafka-proxy
// flags (0.3.x and 0.4.x) and maps them onto the same config a YAML file gives.
// config/flags.md is the table of every grepplabs flag and what becomes of it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kpp/config/config.h"
#include "kpp/config/errors.h"

namespace kpp::config {

enum class run_mode : std::uint8_t { run, demo, version, help, check_config, check, users_add };

// `users add NAME [--file F] [--iterations N]`: the password comes from stdin or a prompt.
struct users_request {
  std::string name;
  std::string file = "/etc/kafka-psc-proxy/users";
  std::uint32_t iterations = 8192;
};

// `check` options besides the config (config/check_arguments.cpp).
struct check_request {
  std::optional<std::string> through;  // --through ADDRESS: the endpoint address, no port
  bool json = false;                   // --json
};

struct command_line {
  run_mode mode = run_mode::run;
  config cfg;               // validated; defaults for version/help/demo
  std::string config_path;  // run and check-config from a file (SIGHUP reloads it)
  bool from_flags = false;  // `server`: grepplabs-compatible flags
  std::uint64_t demo_messages = 1000;
  std::string help_text;             // mode help: what to print
  std::vector<std::string> notices;  // accepted flags without effect, for the start-up log
  check_request check;               // mode check
  users_request users;               // mode users_add
};

// argv[0] is the program name. Errors (exit code 2) name the offending argument.
[[nodiscard]] result<command_line> parse_command_line(int argc, const char* const* argv);

// `server` flags only (what follows "server"). Notices go to `notices` when not null.
[[nodiscard]] result<config> parse_server_flags(std::span<const std::string> args,
                                                std::vector<std::string>* notices = nullptr);

// grepplabs --dynamic-advertised-listener ("host", "b{{.brokerId}}.x", "b{{ .brokerId }}.x:9092")
// -> our template and optional fixed port.
struct advertised_listener {
  std::string host_template;
  std::optional<std::uint16_t> port;
  friend bool operator==(const advertised_listener&, const advertised_listener&) = default;
};
[[nodiscard]] result<advertised_listener> parse_advertised_listener(std::string_view text);

// `check [--through ADDRESS] [--json] (--config FILE | FILE | server FLAGS...)`: what follows
// "check". Config errors are the same as check-config's and start's (exit code 2).
[[nodiscard]] result<command_line> parse_check_command(std::span<const std::string> args);

[[nodiscard]] std::string usage_text();
[[nodiscard]] std::string server_usage_text();

}  // namespace kpp::config
