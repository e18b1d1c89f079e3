// Tests that need a tool outside the project (kfake-broker, node/npm, haproxy, ss, ...) skip
// when it is absent, with one line that scripts/test.sh collects into its summary. Under CI
// (CI=true) every tool is present, so a missing one is a failure instead of a skip.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace kpp::test {

// True when CI=true: a skip there would hide a broken CI set-up.
bool tools_required();

// "[kpp-missing-tool] <tool>: <how to provide it>", the line test.sh greps for.
std::string missing_tool_line(std::string_view tool, std::string_view how);

// The first executable of `candidates` that exists, else "" (absolute paths only).
std::string first_executable(std::initializer_list<const char*> candidates);

}  // namespace kpp::test

// Skips (or, under CI, fails) the current test when `present` is false.
#define KPP_REQUIRE_TOOL(present, tool, how)                                             \
  do {                                                                                   \
    if (!(present)) {                                                                    \
      if (::kpp::test::tools_required())                                                 \
        GTEST_FAIL() << ::kpp::test::missing_tool_line(tool, how) << " (CI=true: every " \
                     << "optional tool must be present)";                                \
      GTEST_SKIP() << ::kpp::test::missing_tool_line(tool, how);                         \
    }                                                                                    \
  } while (0)
