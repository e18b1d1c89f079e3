// parse_proxy_header against hand-built v1 lines and v2 binary headers: each valid header is
// complete at its full length, need_more at every shorter prefix, and unaffected by the Kafka
// bytes that follow it; malformed and foreign inputs are invalid with a message naming why.
#include "kpp/protocol/proxy_protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "unit/protocol/byte_builder.h"

namespace kpp::protocol {
namespace {

using kpp::test::byte_builder;
using bytes = std::vector<std::byte>;

// The v2 signature, version/command, family and a length computed from `body`.
bytes v2(std::uint8_t ver_cmd, std::uint8_t family, const bytes& body) {
  return byte_builder()
      .raw({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A})
      .raw({ver_cmd, family})
      .u16(static_cast<std::uint16_t>(body.size()))
      .append(body)
      .bytes();
}

// TCP over IPv4 192.0.2.10:51234 -> 10.128.0.5:9092, then `tlvs`.
bytes v2_ipv4(const bytes& tlvs = {}) {
  return v2(0x21, 0x11,
            byte_builder()
                .raw({192, 0, 2, 10})  // source
                .raw({10, 128, 0, 5})  // destination
                .u16(51234)            // source port
                .u16(9092)             // destination port
                .append(tlvs)
                .bytes());
}

bytes tlv(std::uint8_t type, const bytes& value) {
  return byte_builder().raw({type}).u16(static_cast<std::uint16_t>(value.size())).append(value);
}
bytes tlv(std::uint8_t type, std::string_view value) {
  return tlv(type, byte_builder().raw(value).bytes());
}
bytes concat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
bytes text(std::string_view s) {
  return byte_builder().raw(s).bytes();
}

// The PSC connection id from pires/go-proxyproto's tlvparse/gcp_test.go vector.
const bytes psc_tlv =
    tlv(0xE0, byte_builder().raw({0xff, 0xff, 0xff, 0xff, 0xc0, 0xa8, 0x64, 0x02}).bytes());
constexpr std::uint64_t psc_id = 18446744072646845442ULL;

proxy_parse_result parse(const bytes& b) {
  return parse_proxy_header(b);
}

// Complete at full length with the expected size, need_more at every proper prefix, and the
// same header when the client's first Kafka bytes arrive in the same read.
proxy_header expect_complete(const bytes& b) {
  for (std::size_t n = 0; n < b.size(); ++n) {
    const auto r = parse_proxy_header(bytes_view(b).first(n));
    EXPECT_EQ(r.status, proxy_parse_status::need_more)
        << "prefix " << n << " of " << b.size() << ": " << r.error;
  }
  const auto r = parse(b);
  EXPECT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.size, b.size());
  auto with_payload = b;
  const bytes kafka = byte_builder().i32(10).i16(18).i16(3).i32(1).raw({0, 0}).bytes();
  with_payload.insert(with_payload.end(), kafka.begin(), kafka.end());
  const auto r2 = parse(with_payload);
  EXPECT_EQ(r2.status, proxy_parse_status::complete) << r2.error;
  EXPECT_EQ(r2.header, r.header);
  return r.header;
}

void expect_invalid(const bytes& b, std::string_view needle) {
  const auto r = parse(b);
  ASSERT_EQ(r.status, proxy_parse_status::invalid) << to_string(r.status);
  EXPECT_NE(r.error.find(needle), std::string::npos) << "error: " << r.error;
}

// ---- v1 -----------------------------------------------------------------------------------

TEST(ProxyProtocolV1, Tcp4) {
  const auto h = expect_complete(text("PROXY TCP4 192.0.2.10 10.128.0.5 51234 9092\r\n"));
  EXPECT_EQ(h.version, 1);
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.source_address, "192.0.2.10");
  EXPECT_EQ(h.source_port, 51234);
  EXPECT_EQ(h.destination_address, "10.128.0.5");
  EXPECT_EQ(h.destination_port, 9092);
  EXPECT_FALSE(h.psc_connection_id);
}

TEST(ProxyProtocolV1, Tcp6AddressesComeBackCanonical) {
  const auto h = expect_complete(text("PROXY TCP6 2001:DB8:0:0::1 fd00::5 0 65535\r\n"));
  EXPECT_EQ(h.source_address, "2001:db8::1");
  EXPECT_EQ(h.destination_address, "fd00::5");
  EXPECT_EQ(h.source_port, 0);
  EXPECT_EQ(h.destination_port, 65535);
}

TEST(ProxyProtocolV1, UnknownCarriesNoAddressAndIgnoresTheRest) {
  auto h = expect_complete(text("PROXY UNKNOWN\r\n"));
  EXPECT_TRUE(h.local);
  EXPECT_EQ(h.version, 1);
  EXPECT_TRUE(h.source_address.empty());
  h = expect_complete(text("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"));
  EXPECT_TRUE(h.local);
}

TEST(ProxyProtocolV1, LineOf107BytesIsTheLongestAccepted) {
  const std::string longest = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), 107u);
  EXPECT_EQ(expect_complete(text(longest)).size, 107u);
  expect_invalid(text("PROXY UNKNOWN " + std::string(92, 'x') + "\r\n"), "no CRLF within");
  // Rejected as soon as the 107th byte arrives without a CRLF, not when the line ends.
  expect_invalid(text("PROXY UNKNOWN " + std::string(93, 'x')), "no CRLF within the first 107");
}

TEST(ProxyProtocolV1, BadPorts) {
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 99999 9092\r\n"), "source port \"99999\"");
  // 99999 cannot become valid by growing, so even the partial line is already invalid.
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 99999"), "out of range");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 65536 9092\r\n"), "out of range");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 9o92\r\n"), "not a decimal");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 01 9092\r\n"), "leading zero");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 -1 9092\r\n"), "not a decimal");
}

TEST(ProxyProtocolV1, BadAddresses) {
  expect_invalid(text("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), "TCP4 source address");
  expect_invalid(text("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), "not an IPv4 address");
  expect_invalid(text("PROXY TCP4 1.2.3.4 2001:db8::1 1 2\r\n"), "TCP4 destination address");
  expect_invalid(text("PROXY TCP6 1.2.3.4 2001:db8::1 1 2\r\n"), "TCP6 source address");
  expect_invalid(text("PROXY TCP6 2001:db8::g"), "not an IPv6 address");
  expect_invalid(text("PROXY TCP4 1234567890123456"), "not an IPv4 address");
}

TEST(ProxyProtocolV1, MalformedLines) {
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), "expected 4");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), "too many fields");
  expect_invalid(text("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), "destination address \"\"");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), "too many fields");
  expect_invalid(text("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), "unknown protocol \"tcp4\"");
  expect_invalid(text("PROXY UDP4"), "unknown protocol");
  expect_invalid(text("PROXY \r\n"), "unknown protocol \"\"");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "stray LF");
  expect_invalid(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"), "stray CR");
  expect_invalid(text("PROXYTCP4"), "bad v1 signature");
  // A CR as the last byte read may be followed by its LF.
  EXPECT_EQ(parse(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r")).status, proxy_parse_status::need_more);
}

// ---- v2 -----------------------------------------------------------------------------------

TEST(ProxyProtocolV2, ProxyOverIpv4) {
  const auto h = expect_complete(v2_ipv4());
  EXPECT_EQ(h.version, 2);
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.source_address, "192.0.2.10");
  EXPECT_EQ(h.source_port, 51234);
  EXPECT_EQ(h.destination_address, "10.128.0.5");
  EXPECT_EQ(h.destination_port, 9092);
  EXPECT_EQ(h.size, 28u);
  EXPECT_FALSE(h.psc_connection_id);
}

TEST(ProxyProtocolV2, ProxyOverIpv6) {
  const auto body = byte_builder()
                        .raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01})
                        .raw({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05})
                        .u16(40000)
                        .u16(9093)
                        .bytes();
  const auto h = expect_complete(v2(0x21, 0x21, concat({body, psc_tlv})));
  EXPECT_EQ(h.source_address, "2001:db8::1");
  EXPECT_EQ(h.destination_address, "fd00::5");
  EXPECT_EQ(h.source_port, 40000);
  EXPECT_EQ(h.destination_port, 9093);
  EXPECT_EQ(h.psc_connection_id, psc_id);
  EXPECT_EQ(h.size, 16u + 36u + 11u);
}

TEST(ProxyProtocolV2, LocalCarriesNoAddressAndIgnoresTheBlock) {
  auto h = expect_complete(v2(0x20, 0x00, {}));
  EXPECT_TRUE(h.local);
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.size, 16u);
  EXPECT_TRUE(h.source_address.empty());
  // The spec has LOCAL receivers discard the block including the family, whatever it holds.
  h = expect_complete(v2(0x20, 0x31, text("junk that is not a TLV")));
  EXPECT_TRUE(h.local);
  EXPECT_EQ(h.size, 16u + 22u);
}

TEST(ProxyProtocolV2, ProxyOverUnspecIsAddressless) {
  const auto h = expect_complete(v2(0x21, 0x00, text("opaque")));
  EXPECT_TRUE(h.local);
  EXPECT_TRUE(h.destination_address.empty());
}

TEST(ProxyProtocolV2, PscConnectionIdTlv) {
  EXPECT_EQ(expect_complete(v2_ipv4(psc_tlv)).psc_connection_id, psc_id);
  const auto small = tlv(0xE0, byte_builder().i64(42).bytes());
  EXPECT_EQ(expect_complete(v2_ipv4(small)).psc_connection_id, 42u);
}

TEST(ProxyProtocolV2, AlpnAndUnknownTlvsAreSkipped) {
  auto h = expect_complete(v2_ipv4(tlv(0x01, "kafka")));
  EXPECT_FALSE(h.psc_connection_id);
  EXPECT_EQ(h.source_address, "192.0.2.10");
  h = expect_complete(v2_ipv4(tlv(0xEA, text("\x01vpce-0123"))));  // an AWS-style TLV
  EXPECT_FALSE(h.psc_connection_id);
  h = expect_complete(v2_ipv4(tlv(0x04, bytes{})));  // empty NOOP
  EXPECT_FALSE(h.psc_connection_id);
}

TEST(ProxyProtocolV2, SeveralTlvsIncludingNestedSsl) {
  const auto ssl = tlv(0x20, concat({byte_builder().raw({0x07}).i32(0).bytes(),  // client, verify
                                     tlv(0x21, "TLSv1.3"), tlv(0x22, "client.example")}));
  const auto h = expect_complete(
      v2_ipv4(concat({tlv(0x01, "h2"), tlv(0x02, "kafka.example"), ssl, psc_tlv, tlv(0xEE, "x")})));
  EXPECT_EQ(h.psc_connection_id, psc_id);
  EXPECT_EQ(h.destination_port, 9092);
}

TEST(ProxyProtocolV2, PscTlvOfWrongLengthIsInvalid) {
  expect_invalid(v2_ipv4(tlv(0xE0, text("\xff\xff\xff"))), "has length 3, expected 8");
  expect_invalid(v2_ipv4(tlv(0xE0, bytes(9, std::byte{1}))), "has length 9, expected 8");
  expect_invalid(v2_ipv4(concat({psc_tlv, psc_tlv})), "duplicate PSC");
}

TEST(ProxyProtocolV2, TruncatedTlvs) {
  // One or two bytes left after the addresses cannot hold a TLV header.
  expect_invalid(v2_ipv4(text("\x01")), "truncated TLV at offset 28");
  expect_invalid(v2_ipv4(concat({tlv(0x01, "h2"), byte_builder().raw({0x01, 0x00}).bytes()})),
                 "truncated TLV");
  // A TLV whose length runs past the header end, even by one byte.
  auto past = v2_ipv4(tlv(0x01, "kafka"));
  past[16 + 12 + 2] = std::byte{6};
  expect_invalid(past, "past the end of the header");
  // A nested SSL sub-TLV overflowing its parent, and an SSL TLV shorter than its fixed part.
  expect_invalid(
      v2_ipv4(tlv(0x20, concat({byte_builder().raw({0}).i32(0).bytes(),
                                byte_builder().raw({0x21, 0x00, 0x09}).raw("TLS").bytes()}))),
      "past the end");
  expect_invalid(v2_ipv4(tlv(0x20, byte_builder().raw({0x01, 0x00}).bytes())),
                 "less than its 5 fixed bytes");
}

TEST(ProxyProtocolV2, TlvLengthPastHeaderIsInvalidBeforeTheRestArrives) {
  auto h = v2_ipv4(concat({tlv(0x01, "kafka"), bytes(200, std::byte{0})}));
  h[16 + 12 + 1] = std::byte{0x10};  // ALPN length 4096+: past the 208-byte region
  // Only the fixed part, the addresses and this TLV's 3-byte header have arrived.
  const auto r = parse_proxy_header(bytes_view(h).first(16 + 12 + 3));
  EXPECT_EQ(r.status, proxy_parse_status::invalid);
  EXPECT_NE(r.error.find("past the end"), std::string::npos) << r.error;
}

TEST(ProxyProtocolV2, BadVersionCommandFamily) {
  auto h = v2_ipv4();
  h[12] = std::byte{0x11};
  expect_invalid(h, "bad version nibble 1");
  h[12] = std::byte{0x31};
  expect_invalid(h, "bad version nibble 3");
  // Decided on the 13th byte, without waiting for the rest.
  EXPECT_EQ(parse_proxy_header(bytes_view(h).first(13)).status, proxy_parse_status::invalid);
  h[12] = std::byte{0x22};
  expect_invalid(h, "bad command 2");
  h = v2_ipv4();
  h[13] = std::byte{0x12};
  expect_invalid(h, "unsupported UDP over IPv4");
  h[13] = std::byte{0x31};
  expect_invalid(h, "unsupported UNIX stream");
  h[13] = std::byte{0x10};
  expect_invalid(h, "unsupported family/transport 0x10");
  h[13] = std::byte{0x41};
  expect_invalid(h, "unsupported family/transport 0x41");
}

TEST(ProxyProtocolV2, LengthChecks) {
  expect_invalid(v2(0x21, 0x11, bytes(11, std::byte{0})), "length 11 too short for TCP over IPv4");
  expect_invalid(v2(0x21, 0x21, bytes(12, std::byte{0})), "length 12 too short for TCP over IPv6");
  // Over the cap: rejected from the 16 fixed bytes alone.
  const auto big =
      byte_builder()
          .raw({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A})
          .raw({0x21, 0x11})
          .u16(4097)
          .bytes();
  expect_invalid(big, "exceeds the 4096-byte limit");
  // At the cap: one large unknown TLV.
  const auto h = expect_complete(v2_ipv4(tlv(0xEF, bytes(4096 - 12 - 3, std::byte{7}))));
  EXPECT_EQ(h.size, 16u + 4096u);
}

TEST(ProxyProtocolV2, BadSignature) {
  auto h = v2_ipv4();
  h[7] = std::byte{'R'};
  expect_invalid(h, "bad v2 signature at byte 7");
  // Rejected as soon as the wrong byte is seen.
  EXPECT_EQ(parse_proxy_header(bytes_view(h).first(8)).status, proxy_parse_status::invalid);
}

// ---- not PROXY at all ----------------------------------------------------------------------

TEST(ProxyProtocolGarbage, ForeignProtocolsAreNamed) {
  // ApiVersions v3 request: size, api_key 18, version 3, correlation id, client id, tags.
  const auto kafka = byte_builder().i32(18).i16(18).i16(3).i32(1).str("rdkafka").raw({0}).bytes();
  expect_invalid(kafka, "Kafka request frame");
  expect_invalid(kafka, "first bytes 00 00 00 12 00 12 00 03 ...");
  // TLS 1.0 record header carrying a ClientHello (handshake type 1).
  const auto hello =
      byte_builder().raw({0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc}).bytes();
  expect_invalid(hello, "TLS handshake");
  expect_invalid(text("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP request");
  expect_invalid(text("POST / HTTP/1.1\r\n"), "HTTP request");
  expect_invalid(text("SSH-2.0-OpenSSH_9.2\r\n"), "SSH banner");
  expect_invalid(text("\x7f\x45LF"), "first bytes 7f 45 4c 46");
}

TEST(ProxyProtocolGarbage, OnlyPrefixesOfASignatureWait) {
  EXPECT_EQ(parse(bytes{}).status, proxy_parse_status::need_more);
  EXPECT_EQ(parse(text("P")).status, proxy_parse_status::need_more);
  EXPECT_EQ(parse(text("PROX")).status, proxy_parse_status::need_more);
  EXPECT_EQ(parse(text("\r\n\r\n")).status, proxy_parse_status::need_more);
  EXPECT_EQ(parse(text("G")).status, proxy_parse_status::invalid);
  EXPECT_EQ(parse(bytes{std::byte{0}}).status, proxy_parse_status::invalid);
  EXPECT_EQ(parse(bytes{std::byte{0x16}}).status, proxy_parse_status::invalid);
}

TEST(ProxyProtocolGarbage, StatusNames) {
  EXPECT_EQ(to_string(proxy_parse_status::complete), "complete");
  EXPECT_EQ(to_string(proxy_parse_status::need_more), "need_more");
  EXPECT_EQ(to_string(proxy_parse_status::invalid), "invalid");
}

}  // namespace
}  // namespace kpp::protocol
