#include "kpp/admin/prometheus_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace kpp::admin::prom {

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out += "# HELP ";
  out += metric_prefix;
  out += name;
  out += ' ';
  append_escaped_help(out, help);
  out += "\n# TYPE ";
  out += metric_prefix;
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

namespace {

void append_series(std::string& out, std::string_view name, std::span<const label> labels) {
  out += metric_prefix;
  out += name;
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const label& l : labels) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    append_escaped_label_value(out, l.value);
    out += '"';
  }
  out += '}';
}

template <class Int>
void append_integer(std::string& out, Int value) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;  // 24 chars hold any 64-bit integer
  out.append(buf.data(), end);
}

}  // namespace

void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   std::uint64_t value) {
  append_series(out, name, labels);
  out += ' ';
  append_integer(out, value);
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   std::int64_t value) {
  append_series(out, name, labels);
  out += ' ';
  append_integer(out, value);
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::span<const label> labels,
                   double value) {
  append_series(out, name, labels);
  out += ' ';
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    // Fixed notation reads better for timestamps and ages ("1700000000.25", not
    // "1.70000000025e+09"); values too long for it fall back to the shortest general form,
    // which always fits in 32 chars.
    std::array<char, 32> buf{};
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
    if (r.ec != std::errc{}) r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), r.ptr);
  }
  out += '\n';
}

}  // namespace kpp::admin::prom
