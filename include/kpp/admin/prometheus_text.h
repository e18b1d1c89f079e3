// Writers for the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): escaping rules and line
// shapes in one place, so the registry only says which series exist.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kpp::admin::prom {

inline constexpr std::string_view metric_prefix = "kafka_psc_proxy_";

struct label {
  std::string_view name;
  std::string_view value;
};

// Label values escape backslash, double quote and line feed.
void append_escaped_label_value(std::string& out, std::string_view value);
// HELP text escapes backslash and line feed (a double quote stays as is).
void append_escaped_help(std::string& out, std::string_view help);

// "# HELP kafka_psc_proxy_<name> <help>\n# TYPE kafka_psc_proxy_<name> <type>\n"
void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help);

// "kafka_psc_proxy_<name>{a="x",b="y"} <value>\n" (no braces without labels).
void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   std::uint64_t value);
void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   std::int64_t value);
// Non-finite values are written as +Inf, -Inf and NaN, as the format spells them.
void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   double value);

}  // namespace kpp::admin::prom
