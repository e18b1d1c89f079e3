// Running a tests/node script (@platformatic/kafka, a pure-JavaScript Kafka client) from an
// integration test: finding node, checking that `npm ci --prefix tests/node` ran, and one
// bounded run whose stdout (the script's JSON line) and stderr are kept.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "support/optional_tools.h"

namespace kpp::test {

// tests/node in the source tree.
std::string node_dir();

// `name` on $PATH, or empty.
std::string which(const std::string& name);

// True when tests/node/node_modules holds the pinned client.
bool node_modules_installed();

struct run_result {
  int status = -1;  // exit status, -signal, or -1000 on timeout
  std::string out;
  std::string err;
};

// Runs argv (argv[0] an absolute path) with stdout and stderr captured, killed (SIGKILL)
// after `timeout`.
run_result run_bounded(std::vector<std::string> args, std::chrono::seconds timeout);

}  // namespace kpp::test

// Sets `var` to node's path, or skips (fails under CI) without node, npm or tests/node's
// node_modules.
#define KPP_REQUIRE_NODE(var)                                                                   \
  do {                                                                                          \
    var = ::kpp::test::which("node");                                                           \
    KPP_REQUIRE_TOOL(!var.empty() && !::kpp::test::which("npm").empty(), "node/npm",            \
                     "apt-get install nodejs npm (scripts/install-deps.sh --test does)");       \
    KPP_REQUIRE_TOOL(::kpp::test::node_modules_installed(), "tests/node/node_modules",          \
                     "run `npm ci --prefix tests/node` (scripts/install-deps.sh --test does)"); \
  } while (0)
