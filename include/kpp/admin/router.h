// The admin HTTP endpoint as a pure function: request + state snapshot -> response.
// No sockets here, so every route is unit-tested directly (EXAMPLES.md principle 11).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>

#include "kpp/admin/status.h"

namespace kpp::admin {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// Paths come from config; these are the defaults.
struct admin_paths {
  std::string health = "/health";
  std::string ready = "/ready";
  std::string metrics = "/metrics";
  std::string status = "/";                  // the HTML status page
  std::string status_json = "/status.json";  // the same data for scripts
};

// What the router needs to answer one request, taken fresh for each request.
struct admin_state {
  admin_paths paths;
  bool ready = false;
  std::string not_ready_reason;  // human-readable, shown in the 503 body
  std::string degraded;          // ready but degraded: shown in the 200 body
  // Appends Prometheus text (e.g. registry::render_prometheus) to its argument.
  std::function<void(std::string&)> render_metrics;
  // Builds the status page's snapshot; called only for the status paths.
  std::function<status_snapshot()> status;
};

inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* html_content_type = "text/html; charset=utf-8";
inline constexpr const char* json_content_type = "application/json";

// GET and HEAD only (405 with Allow otherwise); the query string is ignored when matching;
// HEAD answers carry the GET Content-Length and no body; keep-alive follows the request.
[[nodiscard]] http_response route(const http_request& req, const admin_state& state);

}  // namespace kpp::admin
