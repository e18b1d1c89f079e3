#include "kpp/admin/router.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <string_view>

namespace kpp::admin {

namespace http = boost::beast::http;

namespace {

constexpr const char* text_content_type = "text/plain; charset=utf-8";

http_response make_response(const http_request& req, http::status status,
                            std::string_view content_type, std::string body) {
  http_response res{status, req.version()};
  res.set(http::field::server, "kafka-psc-proxy");
  res.set(http::field::content_type, content_type);
  // Probes and scrapes must see the current state, never a cached one.
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  // HEAD: the headers a GET would get (Content-Length included), without the body.
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace

http_response route(const http_request& req, const admin_state& state) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    http_response res = make_response(req, http::status::method_not_allowed, text_content_type,
                                      "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }

  std::string_view target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

  if (target == state.paths.health) {
    return make_response(req, http::status::ok, text_content_type, "ok\n");
  }
  if (target == state.paths.ready) {
    if (state.ready)
      return make_response(req, http::status::ok, text_content_type,
                           state.degraded.empty() ? std::string("ready\n")
                                                  : "ready (degraded: " + state.degraded + ")\n");
    std::string body = "not ready";
    if (!state.not_ready_reason.empty()) body += ": " + state.not_ready_reason;
    body += '\n';
    return make_response(req, http::status::service_unavailable, text_content_type,
                         std::move(body));
  }
  if (target == state.paths.metrics) {
    if (!state.render_metrics) {
      return make_response(req, http::status::internal_server_error, text_content_type,
                           "metrics renderer not configured\n");
    }
    std::string body;
    state.render_metrics(body);
    return make_response(req, http::status::ok, prometheus_content_type, std::move(body));
  }
  if (target == state.paths.status || target == state.paths.status_json) {
    if (!state.status) {
      return make_response(req, http::status::internal_server_error, text_content_type,
                           "status page not configured\n");
    }
    const status_snapshot snapshot = state.status();
    if (target == state.paths.status) {
      http_response res =
          make_response(req, http::status::ok, html_content_type, render_status_html(snapshot));
      // The page is self-contained: forbid anything it does not carry itself.
      res.set("Content-Security-Policy",
              "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
      return res;
    }
    return make_response(req, http::status::ok, json_content_type, render_status_json(snapshot));
  }
  return make_response(req, http::status::not_found, text_content_type, "not found\n");
}

}  // namespace kpp::admin
