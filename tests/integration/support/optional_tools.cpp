#include "support/optional_tools.h"

#include <unistd.h>

#include <cstdlib>

namespace kpp::test {

bool tools_required() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::string missing_tool_line(std::string_view tool, std::string_view how) {
  std::string line = "[kpp-missing-tool] ";
  line += tool;
  line += ": ";
  line += how;
  return line;
}

std::string first_executable(std::initializer_list<const char*> candidates) {
  for (const char* p : candidates)
    if (::access(p, X_OK) == 0) return p;
  return {};
}

}  // namespace kpp::test
