#include "bench_report.h"

#include <algorithm>
#include <cstdio>

namespace kpp::bench {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

series alternate(const std::vector<const path*>& paths, int reps,
                 const std::function<run_result(const path&)>& fn) {
  series s(paths.size(), std::vector<run_result>(static_cast<std::size_t>(reps)));
  for (int rep = 0; rep < reps; ++rep) {
    for (std::size_t k = 0; k < paths.size(); ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(rep)) % paths.size();
      try {
        s[i][static_cast<std::size_t>(rep)] = fn(*paths[i]);
      } catch (const std::exception& e) {
        s[i][static_cast<std::size_t>(rep)].error = e.what();
      }
      const auto& r = s[i][static_cast<std::size_t>(rep)];
      if (!r.ok)
        std::printf("  [rep %d %s: %s]\n", rep + 1, paths[i]->name.c_str(), r.error.c_str());
      std::fflush(stdout);
    }
  }
  return s;
}

std::optional<double> path_median(const series& s, std::size_t path, const metric& m) {
  std::vector<double> v;
  for (const auto& r : s[path])
    if (r.ok) v.push_back(m(r));
  if (v.empty()) return std::nullopt;
  return median(v);
}

std::vector<double> paired_ratios(const series& s, std::size_t a, std::size_t b, const metric& m) {
  std::vector<double> out;
  for (std::size_t rep = 0; rep < s[a].size(); ++rep)
    if (s[a][rep].ok && s[b][rep].ok && m(s[b][rep]) != 0)
      out.push_back(m(s[a][rep]) / m(s[b][rep]));
  return out;
}

std::vector<double> paired_diffs(const series& s, std::size_t a, std::size_t b, const metric& m) {
  std::vector<double> out;
  for (std::size_t rep = 0; rep < s[a].size(); ++rep)
    if (s[a][rep].ok && s[b][rep].ok) out.push_back(m(s[a][rep]) - m(s[b][rep]));
  return out;
}

void print_proxy_rows(const series& s, const std::vector<const path*>& paths) {
  const auto proxies = [&](std::size_t i) { return paths[i]->is_proxy(); };
  print_row(
      "proxy CPU s/GB", s, paths.size(), [](const run_result& r) { return r.proxy_cpu_per_gb(); },
      "%.2f", proxies);
  print_row(
      "proxy page faults/GB", s, paths.size(),
      [](const run_result& r) { return r.proxy_faults_per_gb(); }, "%.0f", proxies);
}

void print_header(const std::string& title, const std::vector<const path*>& paths) {
  std::printf("\n== %s ==\n%-26s", title.c_str(), "");
  for (const auto* p : paths) std::printf("%14s", p->name.c_str());
  std::printf("\n");
}

void print_row(const std::string& label, const series& s, std::size_t paths, const metric& m,
               const char* fmt, const std::function<bool(std::size_t)>& applies) {
  std::printf("%-26s", label.c_str());
  for (std::size_t i = 0; i < paths; ++i) {
    const auto v = (!applies || applies(i)) ? path_median(s, i, m) : std::nullopt;
    char cell[64];
    if (v)
      std::snprintf(cell, sizeof cell, fmt, *v);
    else
      std::snprintf(cell, sizeof cell, "-");
    std::printf("%14s", cell);
  }
  std::printf("\n");
}

std::string join(const std::vector<double>& v, const char* fmt) {
  std::string out;
  for (const double x : v) {
    char cell[32];
    std::snprintf(cell, sizeof cell, fmt, x);
    out += (out.empty() ? "" : " ") + std::string(cell);
  }
  return out;
}

void print_ratios(const std::string& what, const series& s, const std::vector<const path*>& paths,
                  const metric& m, bool proxies_only) {
  std::size_t direct = paths.size(), haproxy = paths.size(), tuned = paths.size();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i]->name == "direct") direct = i;
    if (paths[i]->name == "haproxy") haproxy = i;
    if (paths[i]->name == "hap-tuned") tuned = i;
  }
  auto line = [&](std::size_t a, std::size_t b) {
    const auto r = paired_ratios(s, a, b, m);
    if (r.empty()) return;
    std::printf("  %-12s %-22s %s -> median %.3f\n", what.c_str(),
                (paths[a]->name + "/" + paths[b]->name).c_str(), join(r, "%.3f").c_str(),
                median(r));
  };
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i]->is_proxy()) continue;
    if (i != haproxy && haproxy < paths.size()) line(i, haproxy);
    if (i != tuned && i != haproxy && tuned < paths.size()) line(i, tuned);
    if (!proxies_only && direct < paths.size()) line(i, direct);
  }
}

void print_summary(const std::vector<summary_line>& lines) {
  std::printf("\n== summary: targets from the issue ==\n");
  std::printf("%-52s %-26s %-22s %s\n", "target", "measured", "limit", "result");
  for (const auto& l : lines)
    std::printf("%-52s %-26s %-22s %s\n", l.target.c_str(), l.value.c_str(), l.limit.c_str(),
                !l.pass ? "n/a" : (*l.pass ? "PASS" : "MISS"));
}

}  // namespace kpp::bench
