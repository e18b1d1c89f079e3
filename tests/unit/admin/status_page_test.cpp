// The status page (admin `/`) and /status.json through the pure router: content, escaping,
// the self-contained page (no script, no external asset, meta refresh), and the window of
// "recent" error counts.
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <string>

#include "kpp/admin/error_history.h"
#include "kpp/admin/json_writer.h"
#include "kpp/admin/router.h"
#include "kpp/admin/status.h"

namespace kpp::admin {
namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

http_request get(std::string target) {
  http_request req{http::verb::get, target, 11};
  req.set(http::field::host, "localhost");
  return req;
}

status_snapshot sample() {
  status_snapshot s;
  s.version = "1.2.3";
  s.ready = false;
  s.not_ready_reason = "some brokers have no listener: broker 7 <port 70000>";
  s.discovery_age_seconds = 2.5;
  s.discovery_failures = 3;
  s.connections_open = 4;
  s.max_connections = 10000;
  s.map_hash = 0xabcdef;
  s.brokers = {{1, "10.0.0.1:9092", "0.0.0.0:30001", "b1.example.com:30001", 3, 10, 2048, 4096},
               {2, "", "", "ext.example.com:9092", 0, 0, 0, 0}};
  s.bootstrap = {{30000, 1, 5}};
  s.errors = {{"protocol_error", "unmapped_node", 9, 2}};
  s.recent_window_seconds = 300;
  return s;
}

admin_state state_with(status_snapshot snap) {
  admin_state st;
  st.status = [snap] { return snap; };
  return st;
}

TEST(StatusPage, RootServesSelfContainedHtml) {
  auto res = route(get("/"), state_with(sample()));
  ASSERT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[http::field::cache_control], "no-store");
  EXPECT_NE(res["Content-Security-Policy"].find("default-src 'none'"), std::string::npos);
  const auto& body = res.body();
  EXPECT_NE(body.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_EQ(body.find("<script"), std::string::npos);
  EXPECT_EQ(body.find("http://"), std::string::npos);
  EXPECT_EQ(body.find("https://"), std::string::npos);
  EXPECT_NE(body.find("<span id=\"version\">1.2.3</span>"), std::string::npos);
  EXPECT_NE(body.find("class=\"bad\">not ready"), std::string::npos);
  // The reason is escaped, not interpreted as markup.
  EXPECT_NE(body.find("broker 7 &lt;port 70000&gt;"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"b1-upstream\">10.0.0.1:9092</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"b1-advertised\">b1.example.com:30001</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"b1-open\" class=\"n\">3</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"b2-upstream\">not seen yet</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"b2-listen\">served elsewhere</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"bootstrap-30000-total\" class=\"n\">5</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"err-unmapped_node-recent\" class=\"n\">2</td>"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"discovery-age\">2.5 s ago</td>"), std::string::npos);
  EXPECT_NE(body.find("0000000abcdef"), std::string::npos);
}

TEST(StatusPage, ReadyAndEmptyStatesSayWhatTheyAre) {
  status_snapshot s;
  s.version = "x";
  s.ready = true;
  auto body = route(get("/"), state_with(s)).body();
  EXPECT_NE(body.find("class=\"ok\">ready"), std::string::npos);
  EXPECT_NE(body.find("never (no successful discovery yet)"), std::string::npos);
  EXPECT_NE(body.find("no brokers known yet"), std::string::npos);
  EXPECT_NE(body.find("none since start"), std::string::npos);
}

TEST(StatusPage, JsonCarriesTheSameData) {
  auto res = route(get("/status.json?x=1"), state_with(sample()));
  ASSERT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res.body(),
            R"({"version":"1.2.3","ready":{"ready":false,"reason":"some brokers have no listener: )"
            R"(broker 7 <port 70000>","degraded":""},"discovery":{"age_seconds":2.5,)"
            R"("failures_total":3,"passive":false},)"
            R"("connections":{"open":4,"max":10000},"map_hash":11259375,"brokers":[)"
            R"({"node_id":1,"upstream":"10.0.0.1:9092","listen":"0.0.0.0:30001",)"
            R"("advertised":"b1.example.com:30001","connections_open":3,"connections_total":10,)"
            R"("bytes_client_to_upstream":2048,"bytes_upstream_to_client":4096},)"
            R"({"node_id":2,"upstream":"","listen":"","advertised":"ext.example.com:9092",)"
            R"("connections_open":0,"connections_total":0,"bytes_client_to_upstream":0,)"
            R"("bytes_upstream_to_client":0}],"bootstrap":[{"port":30000,"connections_open":1,)"
            R"("connections_total":5}],"errors":{"recent_window_seconds":300,"causes":[)"
            R"({"kind":"protocol_error","cause":"unmapped_node","total":9,"recent":2}]}})"
            "\n");
}

TEST(StatusPage, NoDiscoveryYetIsNullInJson) {
  status_snapshot s;
  auto body = route(get("/status.json"), state_with(s)).body();
  EXPECT_NE(body.find(R"("age_seconds":null)"), std::string::npos);
}

TEST(StatusPage, WithoutASnapshotSourceIs500) {
  admin_state st;
  EXPECT_EQ(route(get("/"), st).result(), http::status::internal_server_error);
  EXPECT_EQ(route(get("/status.json"), st).result(), http::status::internal_server_error);
}

TEST(StatusPage, HeadHasNoBody) {
  http_request req{http::verb::head, "/", 11};
  auto res = route(req, state_with(sample()));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_TRUE(res.body().empty());
  EXPECT_NE(res[http::field::content_length], "0");
}

TEST(JsonWriter, EscapesAndNests) {
  json_writer j;
  j.begin_object().field("a\"b", "x\n\x01y").key("list").begin_array();
  j.value(1).value(-2.5).value(true).null().begin_object().end_object();
  j.end_array().field("inf", 1.0 / 0.0).end_object();
  EXPECT_EQ(j.str(), R"({"a\"b":"x\n\u0001y","list":[1,-2.5,true,null,{}],"inf":null})");
}

TEST(ErrorHistory, RecentIsGrowthSinceTheWindowStart) {
  error_history h(60s, 5s);
  const auto t0 = error_history::clock::time_point{} + 1h;
  auto r = h.observe(t0, {10, 0});
  EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{0, 0}));  // no baseline before the first look
  r = h.observe(t0 + 30s, {12, 1});
  EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(r.span, 30s);
  r = h.observe(t0 + 100s, {15, 1});
  // The baseline moved to the newest sample at least 60 s old (t0 + 30 s).
  EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{3, 0}));
  EXPECT_EQ(r.span, 70s);
  r = h.observe(t0 + 101s, {16, 1});  // within the spacing: no new sample, same baseline
  EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{4, 0}));
}

}  // namespace
}  // namespace kpp::admin
