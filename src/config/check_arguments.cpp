// The command line of `check`: its own two options, then the same config sources as a
// start (a YAML file or grepplabs `server` flags), validated the same way.
#include <algorithm>
#include <string>
#include <vector>

#include "kpp/config/flag_parser.h"
#include "kpp/config/yaml_loader.h"

namespace kpp::config {

namespace {

const std::string usage =
    "expected check [--through ENDPOINT_IP] [--json] (--config FILE.yaml | FILE.yaml | "
    "server FLAGS...)";

// ENDPOINT_IP: a host or address without a port (each advertised port is tried there).
result<std::string> through_address(std::string value) {
  if (value.size() > 2 && value.front() == '[' && value.back() == ']')
    value = value.substr(1, value.size() - 2);
  if (value.empty()) return error{"check: --through needs an address; " + usage};
  const auto colons = std::count(value.begin(), value.end(), ':');
  if (colons == 1)
    return error{"check: --through \"" + value +
                 "\" has a port; give the endpoint address alone (each advertised port is "
                 "tried on it)"};
  return value;
}

}  // namespace

result<command_line> parse_check_command(std::span<const std::string> args) {
  command_line out;
  out.mode = run_mode::check;
  std::vector<std::string> rest;
  // Our options come before `server`; everything after `server` is its flags.
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "server") break;
    if (a == "--json") {
      out.check.json = true;
    } else if (a == "--through" || a.rfind("--through=", 0) == 0) {
      std::string value;
      if (a == "--through") {
        if (i + 1 >= args.size()) return error{"check: --through needs a value; " + usage};
        value = args[++i];
      } else {
        value = a.substr(10);
      }
      auto t = through_address(value);
      if (!t) return t.error();
      out.check.through = *t;
    } else {
      rest.push_back(a);
    }
  }
  if (i < args.size()) {  // server FLAGS...
    if (!rest.empty())
      return error{"check: unexpected argument \"" + rest.front() + "\" before server; " + usage};
    std::vector<std::string> flags(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    auto c = parse_server_flags(flags, &out.notices);
    if (!c) return c.error();
    out.cfg = std::move(*c);
    out.from_flags = true;
    return out;
  }
  std::string path;
  if (rest.size() == 1 && rest[0].rfind("--", 0) != 0) {
    path = rest[0];
  } else if (rest.size() == 1 && rest[0].rfind("--config=", 0) == 0) {
    path = rest[0].substr(9);
  } else if (rest.size() == 2 && rest[0] == "--config") {
    path = rest[1];
  } else if (rest.empty()) {
    return error{"check: no configuration; " + usage};
  } else {
    return error{"check: unexpected argument \"" + rest.back() + "\"; " + usage};
  }
  if (path.empty()) return error{"check: --config needs a value; " + usage};
  auto c = load_yaml_file(path);
  if (!c) return c.error();
  out.cfg = std::move(*c);
  out.config_path = path;
  return out;
}

}  // namespace kpp::config
