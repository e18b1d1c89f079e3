#include "kpp/net/request_tracker.h"

#include <gtest/gtest.h>

#include <set>

#include "kpp/protocol/api_table.h"
#include "unit/protocol/byte_builder.h"

namespace {

using kpp::net::frame_verdict;
using kpp::net::protocol_error_cause;
using kpp::net::request_tracker;
using kpp::protocol::bytes_view;
using kpp::test::byte_builder;
namespace api = kpp::protocol::api_key;

using bytes = std::vector<std::byte>;

// Request payload (no size field) with a v1 header: key, version, correlation id, client id.
byte_builder request(std::int16_t key, std::int16_t version, std::int32_t corr) {
  byte_builder b;
  b.i16(key).i16(version).i32(corr).str("client");
  return b;
}

bytes produce_v3(std::int32_t corr, std::int16_t acks) {
  return request(api::produce, 3, corr).null_str().i16(acks).i32(1000).array(0).bytes();
}

bytes response(std::int32_t corr) {
  return byte_builder().i32(corr).i16(0).bytes();
}

request_tracker tracker(std::size_t max_in_flight = 4, std::set<std::int16_t> forbidden = {}) {
  return request_tracker(max_in_flight,
                         [forbidden](std::int16_t k) { return forbidden.contains(k); });
}

TEST(RequestTracker, MatchesResponsesToRequestsInOrder) {
  auto t = tracker();
  const auto a = request(api::api_versions, 0, 7).bytes();
  const auto b = request(api::metadata, 1, 8).bytes();
  EXPECT_EQ(t.on_request(a, a.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.on_request(b, b.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.awaiting(), 2u);

  // ApiVersions is rewritten (the cap), Metadata carries addresses: both are assembled.
  auto r = t.on_response(response(7), 6);
  EXPECT_EQ(r.verdict, frame_verdict::assemble);
  EXPECT_EQ(r.entry.api_key, api::api_versions);
  r = t.on_response(response(8), 6);
  EXPECT_EQ(r.verdict, frame_verdict::assemble);
  EXPECT_EQ(r.entry.api_key, api::metadata);
  EXPECT_EQ(r.entry.correlation_id, 8);
  EXPECT_EQ(t.awaiting(), 0u);
}

TEST(RequestTracker, StreamsResponsesThatCarryNoAddress) {
  auto t = tracker();
  const auto req = request(api::sasl_authenticate, 0, 1).bytes();
  ASSERT_EQ(t.on_request(req, req.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.on_response(response(1), 6).verdict, frame_verdict::forward);
}

// Flexible Fetch (v12+) carries KIP-951 NodeEndpoints at its end: rewritten as it streams by,
// never assembled. Older Fetch carries no address and is forwarded.
TEST(RequestTracker, FlexibleFetchIsRewrittenAsItStreams) {
  auto t = tracker();
  for (const auto& [version, corr] :
       {std::pair<std::int16_t, std::int32_t>{11, 1}, {12, 2}, {18, 3}}) {
    const auto req = request(api::fetch, version, corr).bytes();
    ASSERT_EQ(t.on_request(req, req.size()).verdict, frame_verdict::forward);
  }
  EXPECT_EQ(t.on_response(response(1), 6).verdict, frame_verdict::forward);
  EXPECT_EQ(t.on_response(response(2), 6).verdict, frame_verdict::stream_rewrite);
  const auto r = t.on_response(response(3), 6);
  EXPECT_EQ(r.verdict, frame_verdict::stream_rewrite);
  EXPECT_EQ(r.entry.api_version, 18);
}

TEST(RequestTracker, RefusesAResponseThatMatchesNoRequest) {
  auto t = tracker();
  auto r = t.on_response(response(1), 6);
  EXPECT_EQ(r.verdict, frame_verdict::fail);
  EXPECT_EQ(r.cause, protocol_error_cause::correlation_mismatch);

  const auto req = request(api::metadata, 1, 5).bytes();
  ASSERT_EQ(t.on_request(req, req.size()).verdict, frame_verdict::forward);
  r = t.on_response(response(6), 6);
  EXPECT_EQ(r.verdict, frame_verdict::fail);
  EXPECT_EQ(r.cause, protocol_error_cause::correlation_mismatch);
  EXPECT_NE(r.message.find("5"), std::string::npos);
}

TEST(RequestTracker, AcksZeroProduceIsNotAwaitedAndIsSkippedWhenUnanswered) {
  auto t = tracker();
  const auto p = produce_v3(1, 0);
  ASSERT_EQ(t.on_request(p, p.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.awaiting(), 0u);  // a connection sending only these can be idle
  EXPECT_EQ(t.in_flight(), 1u);
  const auto m = request(api::metadata, 1, 2).bytes();
  ASSERT_EQ(t.on_request(m, m.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.awaiting(), 1u);
  auto r = t.on_response(response(2), 6);
  EXPECT_EQ(r.verdict, frame_verdict::assemble);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(RequestTracker, AcksZeroProduceAnsweredAnywayIsMatched) {
  auto t = tracker();
  const auto p = produce_v3(3, 0);
  ASSERT_EQ(t.on_request(p, p.size()).verdict, frame_verdict::forward);
  auto r = t.on_response(response(3), 6);
  EXPECT_NE(r.verdict, frame_verdict::fail);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(RequestTracker, WaitsWhenFullOfAwaitedRequestsButDropsUnansweredOnes) {
  auto t = tracker(2);
  const auto p = produce_v3(1, 0);
  const auto m = request(api::metadata, 1, 2).bytes();
  ASSERT_EQ(t.on_request(p, p.size()).verdict, frame_verdict::forward);
  ASSERT_EQ(t.on_request(m, m.size()).verdict, frame_verdict::forward);
  EXPECT_FALSE(t.must_wait());  // the head is an acks=0 Produce: it makes room
  const auto m2 = request(api::metadata, 1, 3).bytes();
  ASSERT_EQ(t.on_request(m2, m2.size()).verdict, frame_verdict::forward);
  EXPECT_TRUE(t.must_wait());
  EXPECT_EQ(t.in_flight(), 2u);
  EXPECT_EQ(t.on_response(response(2), 6).verdict, frame_verdict::assemble);
  EXPECT_FALSE(t.must_wait());
}

// KIP-368 re-authentication: the proxy's own request between the client's is answered to the
// proxy (consume), never forwarded, and is matched in order like any other.
TEST(RequestTracker, ProxyOwnRequestIsConsumedInOrder) {
  auto t = tracker();
  const auto m = request(api::metadata, 1, 5).bytes();
  ASSERT_EQ(t.on_request(m, m.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.on_response(response(5), 6).verdict, frame_verdict::assemble);
  ASSERT_TRUE(t.on_proxy_request(api::sasl_handshake, 1, 5));
  EXPECT_EQ(t.awaiting(), 1u);
  // A client request sent after it is answered after it.
  const auto m2 = request(api::metadata, 1, 6).bytes();
  ASSERT_EQ(t.on_request(m2, m2.size()).verdict, frame_verdict::forward);
  const auto r = t.on_response(response(5), 6);
  EXPECT_EQ(r.verdict, frame_verdict::consume);
  EXPECT_TRUE(r.entry.proxy_owned);
  EXPECT_EQ(r.entry.api_key, api::sasl_handshake);
  EXPECT_EQ(t.on_response(response(6), 6).verdict, frame_verdict::assemble);
  EXPECT_EQ(t.awaiting(), 0u);
}

TEST(RequestTracker, ProxyOwnRequestTakesAnIdNoRequestInFlightUses) {
  auto t = tracker();
  for (std::int32_t corr : {3, 4, 6}) {  // acks=0: possibly never answered, still in flight
    const auto p = produce_v3(corr, 0);
    ASSERT_EQ(t.on_request(p, p.size()).verdict, frame_verdict::forward);
  }
  EXPECT_EQ(t.proxy_correlation_id(1), 1);
  EXPECT_EQ(t.proxy_correlation_id(3), 5);
  EXPECT_EQ(t.proxy_correlation_id(6), 7);
  ASSERT_TRUE(t.on_proxy_request(api::sasl_authenticate, 1, 5));
  // The unanswered acks=0 Produce requests before it are skipped.
  const auto r = t.on_response(response(5), 6);
  EXPECT_EQ(r.verdict, frame_verdict::consume);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(RequestTracker, ProxyOwnRequestFindsNoRoomAmongAwaitedRequests) {
  auto t = tracker(1);
  const auto m = request(api::metadata, 1, 1).bytes();
  ASSERT_EQ(t.on_request(m, m.size()).verdict, frame_verdict::forward);
  EXPECT_FALSE(t.on_proxy_request(api::sasl_handshake, 1, 2));
  EXPECT_EQ(t.in_flight(), 1u);
}

TEST(RequestTracker, AnOversizedAnswerToTheProxyIsAFailure) {
  auto t = tracker();
  ASSERT_TRUE(t.on_proxy_request(api::sasl_handshake, 1, 1));
  const auto r = t.on_response(response(1), std::size_t{2} << 20);
  EXPECT_EQ(r.verdict, frame_verdict::fail);
  EXPECT_EQ(r.cause, protocol_error_cause::frame_too_large);
}

TEST(RequestTracker, AsksForMoreBytesBeforeDeciding) {
  auto t = tracker();
  const auto m = request(api::metadata, 1, 2).bytes();
  auto r = t.on_request(bytes_view(m).first(5), m.size());
  EXPECT_EQ(r.verdict, frame_verdict::need_more);
  EXPECT_EQ(r.need, 8u);
  const auto p = produce_v3(1, 1);
  r = t.on_request(bytes_view(p).first(18), p.size());  // header, no acks yet
  EXPECT_EQ(r.verdict, frame_verdict::need_more);
  EXPECT_GT(r.need, 18u);
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_EQ(t.on_response(bytes_view(response(1)).first(2), 6).verdict, frame_verdict::need_more);
}

TEST(RequestTracker, RefusesForbiddenAndUnknownApis) {
  auto t = tracker(4, {api::metadata});
  const auto m = request(api::metadata, 1, 2).bytes();
  auto r = t.on_request(m, m.size());
  EXPECT_EQ(r.verdict, frame_verdict::fail);
  EXPECT_EQ(r.cause, protocol_error_cause::forbidden_api_key);
  const auto u = request(999, 0, 3).bytes();
  r = t.on_request(u, u.size());
  EXPECT_EQ(r.verdict, frame_verdict::fail);
  EXPECT_EQ(r.cause, protocol_error_cause::unknown_api_key);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(RequestTracker, SaslV0RawTokensPassWithoutHeaders) {
  auto t = tracker();
  const auto hs = request(api::sasl_handshake, 0, 1).str("PLAIN").bytes();
  ASSERT_EQ(t.on_request(hs, hs.size()).verdict, frame_verdict::forward);
  ASSERT_EQ(t.on_response(byte_builder().i32(1).i16(0).array(1).str("PLAIN").bytes(), 0).verdict,
            frame_verdict::forward);
  EXPECT_EQ(t.min_request_size(), 0u);  // a raw token may be tiny
  const auto token = byte_builder().raw({0, 117, 0, 112}).bytes();
  auto r = t.on_request(token, token.size());
  EXPECT_EQ(r.verdict, frame_verdict::forward);
  EXPECT_TRUE(r.entry.raw_sasl);
  EXPECT_EQ(t.min_response_size(), 0u);  // its answer has no header and may be empty
  r = t.on_response({}, 0);
  EXPECT_EQ(r.verdict, frame_verdict::forward);
  // The first frame that reads as a Kafka request ends raw mode.
  const auto m = request(api::metadata, 1, 2).bytes();
  ASSERT_EQ(t.on_request(m, m.size()).verdict, frame_verdict::forward);
  EXPECT_EQ(t.min_request_size(), 8u);
  EXPECT_EQ(t.min_response_size(), 4u);
}

TEST(RequestTracker, ReportsARefusedSaslMechanismOnce) {
  auto t = tracker();
  const auto hs = request(api::sasl_handshake, 1, 1).str("SCRAM-SHA-512").bytes();
  ASSERT_EQ(t.on_request(hs, hs.size()).verdict, frame_verdict::forward);
  const auto resp = byte_builder().i32(1).i16(33).array(2).str("PLAIN").str("GSSAPI").bytes();
  EXPECT_EQ(t.on_response(resp, resp.size()).verdict, frame_verdict::forward);
  auto refusal = t.take_sasl_refusal();
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->asked, "SCRAM-SHA-512");
  EXPECT_EQ(refusal->offered, "PLAIN,GSSAPI");
  EXPECT_FALSE(t.take_sasl_refusal());
}

}  // namespace
