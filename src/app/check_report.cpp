#include "kpp/app/check_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "kpp/admin/json_writer.h"

namespace kpp::app {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto& c : s)
    if (c == '_') c = ' ';
  return s;
}

std::string hash_text(std::uint64_t h) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%013llx", static_cast<unsigned long long>(h));
  return buf;
}

void render_section(std::string& out, const check_section& s) {
  out += "\n" + s.title + "\n";
  if (!s.note.empty()) out += "  " + s.note + "\n";
  if (s.rows.empty()) {
    out += "  (none)\n";
    return;
  }
  std::vector<std::size_t> width(s.columns.size());
  for (std::size_t c = 0; c < s.columns.size(); ++c) width[c] = s.columns[c].size();
  for (const auto& row : s.rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].text.size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text = " ";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      text += ' ';
      text += cells[c];
      if (c + 1 < cells.size()) text.append(width[c] - cells[c].size() + 1, ' ');
    }
    out += text + "\n";
  };
  std::vector<std::string> head;
  for (const auto& c : s.columns) head.push_back(upper(c));
  line(head);
  for (const auto& row : s.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(cell.text);
    line(cells);
  }
}

}  // namespace

std::string render_table(const check_report& r) {
  std::string out = "kafka-psc-proxy check (" + r.source + "): configuration valid\n";
  if (r.map_hash)
    out +=
        "map hash " + hash_text(*r.map_hash) + " (compare with kafka_psc_proxy_broker_map_hash)\n";
  for (const auto& s : r.sections) render_section(out, s);
  if (!r.dns_records.empty()) {
    out += "\nDNS records to create (in the private zone the clients resolve)\n";
    for (const auto& rec : r.dns_records) out += "  " + rec + "\n";
    for (const auto& n : r.dns_notes) out += "  " + n + "\n";
  }
  if (r.findings.empty()) {
    out += "\nAll checks passed.\n";
    return out;
  }
  out += "\nFindings (" + std::to_string(r.findings.size()) + ")\n";
  int i = 0;
  for (const auto& f : r.findings) {
    out += "  " + std::to_string(++i) + ". [" + f.section + "] " + f.problem + "\n";
    out += "     fix: " + f.fix + "\n";
  }
  return out;
}

std::string render_json(const check_report& r) {
  admin::json_writer j;
  j.begin_object();
  j.field("source", r.source);
  j.field("ok", r.findings.empty());
  j.field("exit_code", r.exit_code());
  j.key("map_hash");
  if (r.map_hash)
    j.value(hash_text(*r.map_hash));
  else
    j.null();
  for (const auto& s : r.sections) {
    j.key(s.key).begin_array();
    for (const auto& row : s.rows) {
      j.begin_object();
      for (std::size_t c = 0; c < row.size() && c < s.columns.size(); ++c) {
        j.key(s.columns[c]);
        if (row[c].number)
          j.value(*row[c].number);
        else
          j.value(row[c].text);
      }
      j.end_object();
    }
    j.end_array();
  }
  j.key("dns_records").begin_array();
  for (const auto& rec : r.dns_records) j.value(rec);
  j.end_array();
  j.key("dns_notes").begin_array();
  for (const auto& n : r.dns_notes) j.value(n);
  j.end_array();
  j.key("findings").begin_array();
  for (const auto& f : r.findings) {
    j.begin_object();
    j.field("section", f.section);
    j.field("problem", f.problem);
    j.field("fix", f.fix);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return j.take() + "\n";
}

}  // namespace kpp::app
