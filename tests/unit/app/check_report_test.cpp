// check's report: the exit status follows the findings, the table aligns its columns and
// lists each finding with its fix, and --json keeps numbers numbers.
#include "kpp/app/check_report.h"

#include <gtest/gtest.h>

namespace kpp::app {
namespace {

check_report sample() {
  check_report r;
  r.source = "config test.yaml";
  r.map_hash = 0x2d1f093ae7598;
  check_section s;
  s.key = "ports";
  s.title = "Listen ports on this host";
  s.columns = {"port", "use", "result"};
  s.rows.push_back({std::int64_t{30001}, "broker 1", "free"});
  s.rows.push_back({std::int64_t{9080}, "admin endpoint", "in use by another process"});
  r.sections.push_back(s);
  r.dns_records.push_back("b1.example.com. 300 IN A 10.0.0.9");
  return r;
}

TEST(CheckReport, NoFindingIsExitZero) {
  auto r = sample();
  EXPECT_EQ(r.exit_code(), 0);
  const auto text = render_table(r);
  EXPECT_NE(text.find("All checks passed."), std::string::npos) << text;
  EXPECT_NE(text.find("map hash 2d1f093ae7598"), std::string::npos) << text;
  // Columns are aligned on the widest cell.
  EXPECT_NE(text.find("  PORT   USE             RESULT\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  30001  broker 1        free\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  9080   admin endpoint  in use by another process\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  b1.example.com. 300 IN A 10.0.0.9\n"), std::string::npos) << text;
}

TEST(CheckReport, FindingsSayWhatToChangeAndExitOne) {
  auto r = sample();
  r.find("ports", "port 9080 (admin endpoint) is in use by another process",
         "stop that process or move admin.address");
  EXPECT_EQ(r.exit_code(), 1);
  const auto text = render_table(r);
  EXPECT_EQ(text.find("All checks passed."), std::string::npos);
  EXPECT_NE(text.find("Findings (1)\n  1. [ports] port 9080 (admin endpoint) is in use by another "
                      "process\n     fix: stop that process or move admin.address\n"),
            std::string::npos)
      << text;
}

TEST(CheckReport, JsonKeepsNumbersAndSections) {
  auto r = sample();
  r.find("ports", "p \"quoted\"", "f");
  EXPECT_EQ(render_json(r),
            R"({"source":"config test.yaml","ok":false,"exit_code":1,"map_hash":"2d1f093ae7598",)"
            R"("ports":[{"port":30001,"use":"broker 1","result":"free"},{"port":9080,)"
            R"("use":"admin endpoint","result":"in use by another process"}],)"
            R"("dns_records":["b1.example.com. 300 IN A 10.0.0.9"],"dns_notes":[],)"
            R"("findings":[{"section":"ports","problem":"p \"quoted\"","fix":"f"}]})"
            "\n");
}

}  // namespace
}  // namespace kpp::app
