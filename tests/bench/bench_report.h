// Results of repeated, path-alternating runs and their printing: medians per path, paired
// per-repetition ratios, and the PASS/MISS summary against the targets.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench_workloads.h"

namespace kpp::bench {

// results[path][rep]
using series = std::vector<std::vector<run_result>>;
using metric = std::function<double(const run_result&)>;

double median(std::vector<double> v);
// Runs `fn` reps x paths times, the path order rotated by one each repetition.
series alternate(const std::vector<const path*>& paths, int reps,
                 const std::function<run_result(const path&)>& fn);
// Median over the ok repetitions of one path (nullopt: none ok).
std::optional<double> path_median(const series& s, std::size_t path, const metric& m);
// Paired ratios m(a)/m(b) of the repetitions where both ran ok.
std::vector<double> paired_ratios(const series& s, std::size_t a, std::size_t b, const metric& m);
// Paired differences m(a) - m(b).
std::vector<double> paired_diffs(const series& s, std::size_t a, std::size_t b, const metric& m);

// Prints one row: label, then each path's median formatted by `fmt` ("-" where none).
void print_row(const std::string& label, const series& s, std::size_t paths, const metric& m,
               const char* fmt, const std::function<bool(std::size_t)>& applies = nullptr);
void print_header(const std::string& title, const std::vector<const path*>& paths);
// The proxy paths' CPU s/GB and minor page faults per GB.
void print_proxy_rows(const series& s, const std::vector<const path*>& paths);
// "name: r1 r2 r3 -> median m" lines for every proxy/direct and proxy/HAProxy pair.
void print_ratios(const std::string& what, const series& s, const std::vector<const path*>& paths,
                  const metric& m, bool proxies_only = false);
std::string join(const std::vector<double>& v, const char* fmt);

struct summary_line {
  std::string target;
  std::string value;
  std::string limit;
  std::optional<bool> pass;  // nullopt: not measured
};
void print_summary(const std::vector<summary_line>& lines);

}  // namespace kpp::bench
