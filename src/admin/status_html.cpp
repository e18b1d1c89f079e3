#include <cstdio>
#include <string_view>

#include "kpp/admin/status.h"

namespace kpp::admin {
namespace {

void escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string bytes_text(std::uint64_t n) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string age_text(const std::optional<double>& age) {
  if (!age) return "never (no successful discovery yet)";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f s ago", *age);
  return buf;
}

// A <td>; `id` (optional) lets tests and people find a cell ("b1-open").
void cell(std::string& out, std::string_view text, std::string_view id = {},
          std::string_view cls = {}) {
  out += "<td";
  if (!id.empty()) {
    out += " id=\"";
    escaped(out, id);
    out += '"';
  }
  if (!cls.empty()) {
    out += " class=\"";
    out += cls;
    out += '"';
  }
  out += '>';
  escaped(out, text);
  out += "</td>";
}

constexpr std::string_view style = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1d2327}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
.sub{color:#646970;margin:0 0 1em}
table{border-collapse:collapse;min-width:40em}
th,td{border:1px solid #c3c4c7;padding:.3em .7em;text-align:left}
th{background:#f0f0f1}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#00762a;font-weight:bold}.bad{color:#b32d2e;font-weight:bold}
.none{color:#646970;font-style:italic}
)";

}  // namespace

std::string render_status_html(const status_snapshot& s) {
  std::string out;
  out.reserve(4096 + s.brokers.size() * 256);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(s.refresh_seconds) + "\">";
  out += "<title>kafka-psc-proxy status</title><style>";
  out += style;
  out += "</style></head><body>\n";
  out += "<h1>kafka-psc-proxy</h1><p class=\"sub\">version <span id=\"version\">";
  escaped(out, s.version);
  out += "</span> &middot; this page reloads every " + std::to_string(s.refresh_seconds) +
         " s &middot; <a href=\"status.json\">status.json</a></p>\n";

  out += "<h2>Readiness</h2><p id=\"ready\" class=\"";
  out += s.ready ? "ok\">ready" : "bad\">not ready";
  out += "</p>";
  if (!s.ready && !s.not_ready_reason.empty()) {
    out += "<p id=\"ready-reason\">";
    escaped(out, s.not_ready_reason);
    out += "</p>";
  }
  if (s.ready && !s.degraded.empty()) {
    out += "<p id=\"ready-degraded\" class=\"bad\">degraded: ";
    escaped(out, s.degraded);
    out += "</p>";
  }
  out += "\n<table><tr><th>last successful discovery</th><td id=\"discovery-age\">";
  escaped(out, s.discovery_passive && !s.discovery_age_seconds
                   ? "never: passive, the brokers require SASL (set discovery.sasl)"
                   : age_text(s.discovery_age_seconds));
  out += "</td></tr><tr><th>failed discovery rounds</th><td id=\"discovery-failures\">" +
         std::to_string(s.discovery_failures) + "</td></tr>";
  out += "<tr><th>client connections open</th><td id=\"connections-open\">" +
         std::to_string(s.connections_open) + " of " + std::to_string(s.max_connections) +
         " (limits.max_connections)</td></tr>";
  char hash[24];
  std::snprintf(hash, sizeof hash, "%013llx", static_cast<unsigned long long>(s.map_hash));
  out += "<tr><th>broker map hash</th><td id=\"map-hash\">";
  out += hash;
  out += "</td></tr></table>\n";

  out += "<h2>Broker map</h2>\n";
  if (s.brokers.empty()) {
    out += "<p class=\"none\" id=\"brokers-empty\">no brokers known yet</p>\n";
  } else {
    out +=
        "<table id=\"brokers\"><tr><th>node</th><th>upstream</th><th>listen</th>"
        "<th>advertised</th><th>open</th><th>accepted</th><th>client&rarr;broker</th>"
        "<th>broker&rarr;client</th></tr>\n";
    for (const auto& b : s.brokers) {
      const std::string id = "b" + std::to_string(b.node_id);
      out += "<tr id=\"" + id + "\">";
      cell(out, std::to_string(b.node_id), id + "-node", "n");
      cell(out, b.upstream.empty() ? "not seen yet" : b.upstream, id + "-upstream");
      cell(out, b.listen.empty() ? "served elsewhere" : b.listen, id + "-listen");
      cell(out, b.advertised, id + "-advertised");
      cell(out, std::to_string(b.connections_open), id + "-open", "n");
      cell(out, std::to_string(b.connections_total), id + "-total", "n");
      cell(out, bytes_text(b.bytes_client_to_upstream), {}, "n");
      cell(out, bytes_text(b.bytes_upstream_to_client), {}, "n");
      out += "</tr>\n";
    }
    out += "</table>\n";
  }

  if (!s.bootstrap.empty()) {
    out +=
        "<h2>Bootstrap listeners</h2>\n<table id=\"bootstrap\"><tr><th>port</th><th>open</th>"
        "<th>accepted</th></tr>\n";
    for (const auto& b : s.bootstrap) {
      const std::string id = "bootstrap-" + std::to_string(b.port);
      out += "<tr id=\"" + id + "\">";
      cell(out, std::to_string(b.port), {}, "n");
      cell(out, std::to_string(b.connections_open), id + "-open", "n");
      cell(out, std::to_string(b.connections_total), id + "-total", "n");
      out += "</tr>\n";
    }
    out += "</table>\n";
  }

  out += "<h2>Errors by cause</h2>\n";
  if (s.errors.empty()) {
    out += "<p class=\"none\" id=\"errors-empty\">none since start</p>\n";
  } else {
    out += "<table id=\"errors\"><tr><th>kind</th><th>cause</th><th>last " +
           std::to_string((s.recent_window_seconds + 59) / 60) +
           " min</th><th>since start</th></tr>\n";
    for (const auto& e : s.errors) {
      const std::string id = "err-" + e.cause;
      out += "<tr id=\"" + id + "\">";
      cell(out, e.kind);
      cell(out, e.cause);
      cell(out, std::to_string(e.recent), id + "-recent", "n");
      cell(out, std::to_string(e.total), id + "-total", "n");
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace kpp::admin
