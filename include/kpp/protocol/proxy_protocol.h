// PROXY protocol (v1 text and v2 binary) header decoder for connections arriving through a
// Private Service Connect service attachment with PROXY protocol enabled. Pure and total: it
// looks only at the bytes it is given, never reads a socket, and answers every input with
// complete, need_more or invalid, so the caller can feed it each read until it decides.
// Spec: https://www.haproxy.org/download/1.8/doc/proxy-protocol.txt
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/protocol/bytes.h"

namespace kpp::protocol {

// A v1 line is at most 107 bytes including CRLF (spec section 2.1).
inline constexpr std::size_t proxy_v1_max_size = 107;
// v2: 16 fixed bytes, then `length` bytes of addresses and TLVs. The spec allows 65535, but
// nothing legitimate (addresses + a PSC id + a few TLVs) comes near 4096, and the cap bounds
// how much a client can make us buffer before its first Kafka byte.
inline constexpr std::size_t proxy_v2_fixed_size = 16;
inline constexpr std::size_t proxy_v2_max_length = 4096;
// Google's PSC connection-id TLV: type 0xE0, length always 8, value the connection id as a
// big-endian uint64 (the Compute API's serviceAttachments connectedEndpoints[].pscConnectionId
// is likewise a uint64).
// Layout as documented in pires/go-proxyproto tlvparse/gcp.go (PR #81 "Add support for GCP
// extensions"), which cites
// https://cloud.google.com/vpc/docs/configure-private-service-connect-producer; Google's page
// itself was not in the searchable corpus, so the unit-test vector is go-proxyproto's.
inline constexpr std::uint8_t proxy_v2_tlv_gcp_psc = 0xE0;

struct proxy_header {
  int version = 0;             // 1 or 2
  bool local = false;          // v2 LOCAL / UNSPEC, v1 "UNKNOWN": no address carried
  std::string source_address;  // textual IP (inet_ntop form), empty when local
  std::uint16_t source_port = 0;
  std::string destination_address;  // textual IP, empty when local
  std::uint16_t destination_port = 0;
  std::optional<std::uint64_t> psc_connection_id;  // Google PSC TLV 0xE0, when present
  std::size_t size = 0;                            // bytes the header occupies

  friend bool operator==(const proxy_header&, const proxy_header&) = default;
};

enum class proxy_parse_status { complete, need_more, invalid };

[[nodiscard]] std::string_view to_string(proxy_parse_status status) noexcept;

struct proxy_parse_result {
  proxy_parse_status status = proxy_parse_status::need_more;
  proxy_header header;  // meaningful only when complete
  std::string error;    // why, when invalid
};

// `data` is everything read from the connection so far. need_more while `data` is a proper
// prefix of a header that could still turn out valid; invalid once the bytes so far rule that
// out (early wherever cheap: signature, version, command, family, length, every TLV header that
// has arrived, v1 protocol and ports; a v1 address in progress is only checked for its
// character set and length until its field ends); complete once a whole header is present
// (bytes past header.size are the client's own stream and are not looked at).
[[nodiscard]] proxy_parse_result parse_proxy_header(bytes_view data);

}  // namespace kpp::protocol
