// The first-bytes diagnostics: each wrong protocol is named, real Kafka frames are not.
#include "kpp/net/traffic_classifier.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using kpp::net::classify_client_bytes;
using kpp::net::classify_upstream_bytes;
using kpp::net::describe_bad_frame_size;
using kpp::net::protocol_error_cause;

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}
std::vector<std::byte> text(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(TrafficClassifier, TlsClientHelloOnPlaintextListener) {
  const auto hello = bytes_of({0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01});
  auto m = classify_client_bytes(hello, 100 << 20);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cause, protocol_error_cause::tls_on_plaintext_listener);
  EXPECT_NE(m->message.find("TLS"), std::string::npos);
}

TEST(TrafficClassifier, HttpVerbsOnKafkaPort) {
  for (auto verb : {"GET / HTTP/1.1", "POST /x HTTP/1.1", "HEAD / HTTP/1.0", "PRI * HTTP/2.0"}) {
    SCOPED_TRACE(verb);
    auto m = classify_client_bytes(text(verb), 100 << 20);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->cause, protocol_error_cause::http_on_kafka_port);
    EXPECT_NE(m->message.find("admin.address"), std::string::npos);
  }
}

TEST(TrafficClassifier, KafkaFramesAreNotFlagged) {
  // ApiVersions v3 request: size 0x22, key 18, version 3.
  const auto frame = bytes_of({0x00, 0x00, 0x00, 0x22, 0x00, 0x12, 0x00, 0x03});
  EXPECT_FALSE(classify_client_bytes(frame, 100 << 20));
  EXPECT_FALSE(classify_upstream_bytes(frame));
}

TEST(TrafficClassifier, TlsAlertOrHandshakeFromUpstream) {
  for (int type : {0x15, 0x16}) {
    auto m = classify_upstream_bytes(bytes_of({type, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->cause, protocol_error_cause::tls_from_upstream);
    EXPECT_NE(m->message.find("expects TLS"), std::string::npos);
  }
}

TEST(TrafficClassifier, OversizeFrameNamesLengthInHexAndTheCause) {
  const auto tls = bytes_of({0x16, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00});
  const auto line =
      describe_bad_frame_size(0x16030100, tls, 1024, "client", "limits.max_frame_size");
  EXPECT_NE(line.find("0x16030100"), std::string::npos) << line;
  EXPECT_NE(line.find("limits.max_frame_size"), std::string::npos) << line;
  EXPECT_NE(line.find("look like TLS"), std::string::npos) << line;
  const auto plain = bytes_of({0x00, 0x10, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00});
  const auto line2 =
      describe_bad_frame_size(0x00100000, plain, 1024, "client", "limits.max_frame_size");
  EXPECT_EQ(line2.find("TLS"), std::string::npos) << line2;
  EXPECT_NE(line2.find("1048576"), std::string::npos) << line2;
}

}  // namespace
