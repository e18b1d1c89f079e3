// What `check` found, as data: sections of rows (one table each for people, one array each
// in --json for scripts), the DNS records to create, and findings that each say what to
// change. The exit status follows from the findings alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kpp::app {

// A table cell: text, or a number (kept a number in JSON).
struct check_cell {
  std::string text;
  std::optional<std::int64_t> number;
  check_cell(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor)
  check_cell(const char* t) : text(t) {}             // NOLINT(google-explicit-constructor)
  check_cell(std::int64_t n) : text(std::to_string(n)), number(n) {}  // NOLINT
};

struct check_section {
  std::string key;                   // JSON name: "bootstrap", "map", "ports", "names", "through"
  std::string title;                 // table heading
  std::string note;                  // one line under the heading (may be empty)
  std::vector<std::string> columns;  // JSON keys, in order
  std::vector<std::vector<check_cell>> rows;  // one cell per column
};

struct check_finding {
  std::string section;  // the section key it belongs to
  std::string problem;  // what is wrong, with the value that is wrong
  std::string fix;      // what to change
};

struct check_report {
  std::string source;  // "config FILE" or "server flags"
  std::optional<std::uint64_t> map_hash;
  std::vector<check_section> sections;
  std::vector<std::string> dns_records;  // zone-file lines
  std::vector<std::string> dns_notes;    // e.g. the wildcard alternative
  std::vector<check_finding> findings;

  void find(std::string section, std::string problem, std::string fix) {
    findings.push_back({std::move(section), std::move(problem), std::move(fix)});
  }
  [[nodiscard]] int exit_code() const { return findings.empty() ? 0 : 1; }
};

[[nodiscard]] std::string render_table(const check_report& r);
[[nodiscard]] std::string render_json(const check_report& r);

}  // namespace kpp::app
