#include "kpp/admin/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <string>

namespace kpp::admin {
namespace {

namespace http = boost::beast::http;

http_request make_request(http::verb method, std::string target, bool keep_alive = true) {
  http_request req{method, target, 11};
  req.set(http::field::host, "localhost");
  req.keep_alive(keep_alive);
  return req;
}

admin_state make_state(bool ready, std::string reason = {}) {
  admin_state s;
  s.ready = ready;
  s.not_ready_reason = std::move(reason);
  s.render_metrics = [](std::string& out) { out += "kafka_psc_proxy_ready 1\n"; };
  return s;
}

TEST(Router, HealthIsOk) {
  auto res = route(make_request(http::verb::get, "/health"), make_state(false, "starting"));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ok\n");
  EXPECT_EQ(res[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(res[http::field::content_length], "3");
}

TEST(Router, ReadyWhenReady) {
  auto res = route(make_request(http::verb::get, "/ready"), make_state(true));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ready\n");
}

TEST(Router, ReadyButDegradedSaysWhyIn200) {
  auto state = make_state(true);
  state.degraded = "discovery is passive";
  auto res = route(make_request(http::verb::get, "/ready"), state);
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ready (degraded: discovery is passive)\n");
}

TEST(Router, NotReadyIs503WithReason) {
  auto res = route(make_request(http::verb::get, "/ready"),
                   make_state(false, "discovery has not succeeded yet"));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(res.body(), "not ready: discovery has not succeeded yet\n");
}

TEST(Router, NotReadyWithoutReason) {
  auto res = route(make_request(http::verb::get, "/ready"), make_state(false));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(res.body(), "not ready\n");
}

TEST(Router, MetricsUsesPrometheusContentType) {
  auto res = route(make_request(http::verb::get, "/metrics"), make_state(true));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "kafka_psc_proxy_ready 1\n");
}

TEST(Router, MetricsWithoutRendererIs500) {
  admin_state s = make_state(true);
  s.render_metrics = nullptr;
  auto res = route(make_request(http::verb::get, "/metrics"), s);
  EXPECT_EQ(res.result(), http::status::internal_server_error);
}

TEST(Router, QueryStringIsIgnored) {
  auto res = route(make_request(http::verb::get, "/health?verbose=1"), make_state(true));
  EXPECT_EQ(res.result(), http::status::ok);
}

TEST(Router, UnknownPathIs404) {
  for (const char* path : {"/index.html", "/healthz", "/health/", "/metrics2", "health"}) {
    SCOPED_TRACE(path);
    auto res = route(make_request(http::verb::get, path), make_state(true));
    EXPECT_EQ(res.result(), http::status::not_found);
  }
}

TEST(Router, ConfiguredPathsReplaceDefaults) {
  admin_state s = make_state(true);
  s.paths = {"/livez", "/readyz", "/prom"};
  EXPECT_EQ(route(make_request(http::verb::get, "/livez"), s).result(), http::status::ok);
  EXPECT_EQ(route(make_request(http::verb::get, "/readyz"), s).body(), "ready\n");
  EXPECT_EQ(route(make_request(http::verb::get, "/prom"), s).body(), "kafka_psc_proxy_ready 1\n");
  EXPECT_EQ(route(make_request(http::verb::get, "/health"), s).result(), http::status::not_found);
}

TEST(Router, HeadHasGetHeadersAndNoBody) {
  for (const char* path : {"/health", "/ready", "/metrics", "/nope"}) {
    SCOPED_TRACE(path);
    auto get = route(make_request(http::verb::get, path), make_state(false, "x"));
    auto head = route(make_request(http::verb::head, path), make_state(false, "x"));
    EXPECT_EQ(head.result(), get.result());
    EXPECT_TRUE(head.body().empty());
    EXPECT_EQ(head[http::field::content_length], std::to_string(get.body().size()));
    EXPECT_EQ(head[http::field::content_type], get[http::field::content_type]);
  }
}

TEST(Router, OtherMethodsAre405WithAllow) {
  for (http::verb m : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options,
                       http::verb::patch}) {
    SCOPED_TRACE(std::string(http::to_string(m)));
    auto res = route(make_request(m, "/health"), make_state(true));
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(res[http::field::allow], "GET, HEAD");
  }
}

TEST(Router, KeepAliveFollowsRequest) {
  EXPECT_TRUE(route(make_request(http::verb::get, "/health", true), make_state(true)).keep_alive());
  EXPECT_FALSE(
      route(make_request(http::verb::get, "/health", false), make_state(true)).keep_alive());
}

TEST(Router, Http10DefaultsToClose) {
  http_request req{http::verb::get, "/health", 10};
  auto res = route(req, make_state(true));
  EXPECT_EQ(res.version(), 10);
  EXPECT_FALSE(res.keep_alive());
}

}  // namespace
}  // namespace kpp::admin
