#include "kpp/protocol/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>
#include <vector>

namespace kpp::protocol {
namespace {

constexpr std::string_view v1_signature = "PROXY ";
constexpr std::array<std::uint8_t, 12> v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::uint8_t tlv_ssl = 0x20;  // PP2_TYPE_SSL: client, verify, then sub-TLVs
constexpr std::size_t tlv_header_size = 3;
constexpr std::size_t ssl_tlv_fixed_size = 5;  // uint8 client + uint32 verify
// v1 text fields never get longer than this; a longer run of address characters is garbage.
constexpr std::size_t v1_max_ipv4_text = 15;  // 255.255.255.255
constexpr std::size_t v1_max_ipv6_text = 45;  // ffff:...:ffff:255.255.255.255

std::uint8_t u8(bytes_view d, std::size_t i) {
  return std::to_integer<std::uint8_t>(d[i]);
}
std::uint16_t be16(bytes_view d, std::size_t i) {
  return static_cast<std::uint16_t>((u8(d, i) << 8) | u8(d, i + 1));
}
std::uint64_t be64(bytes_view d, std::size_t i) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < 8; ++k) v = (v << 8) | u8(d, i + k);
  return v;
}
// d[from..], or empty when `from` is past what has arrived.
bytes_view tail(bytes_view d, std::size_t from) {
  return from < d.size() ? d.subspan(from) : bytes_view{};
}

std::string hex_byte(std::uint8_t b) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

std::string hex_dump(bytes_view d, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < std::min(d.size(), max); ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, i == 0 ? "%02x" : " %02x", u8(d, i));
    out += buf;
  }
  if (d.size() > max) out += " ...";
  return out;
}

proxy_parse_result need_more() {
  return {proxy_parse_status::need_more, {}, {}};
}
proxy_parse_result invalid(std::string why) {
  return {proxy_parse_status::invalid, {}, std::move(why)};
}
proxy_parse_result complete(proxy_header h) {
  return {proxy_parse_status::complete, std::move(h), {}};
}

// What a client that sent no PROXY header is most likely speaking, so the log line tells an
// operator "this client bypassed the PSC attachment" or "TLS on a plaintext listener" directly.
std::optional<std::string_view> guess_protocol(bytes_view d) {
  const std::string_view text = as_chars(d);
  // TLS record: content type 22 (handshake), major version 3.
  if (d.size() >= 2 && u8(d, 0) == 0x16 && u8(d, 1) == 0x03) {
    return "a TLS handshake (ClientHello)";
  }
  for (std::string_view method : {"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ",
                                  "CONNECT ", "TRACE ", "PRI * HTTP/2"}) {
    if (text.starts_with(method)) return "an HTTP request";
  }
  if (text.starts_with("SSH-")) return "an SSH banner";
  // Kafka request: int32 size (< 16 MiB, so the first byte is 0), int16 api_key, int16 version.
  if (d.size() >= 8 && u8(d, 0) == 0 && be16(d, 4) < 128 && be16(d, 6) < 64) {
    return "a Kafka request frame (the client sent no PROXY header)";
  }
  return std::nullopt;
}

proxy_parse_result not_proxy(bytes_view d, std::string_view what) {
  std::string why =
      "not a PROXY protocol header (" + std::string(what) + "); first bytes " + hex_dump(d);
  if (const auto guess = guess_protocol(d)) {
    why += " look like ";
    why += *guess;
  }
  return invalid(std::move(why));
}

// ---------------------------------------------------------------------------------------------
// v2

std::string family_name(std::uint8_t fam) {
  switch (fam) {
    case 0x12:
      return "UDP over IPv4";
    case 0x22:
      return "UDP over IPv6";
    case 0x31:
      return "UNIX stream";
    case 0x32:
      return "UNIX datagram";
    default:
      return "family/transport " + hex_byte(fam);
  }
}

// Walks the TLVs of a region `region_size` bytes long of which `present` has arrived. Checks
// every TLV header it can see against the region end, so a lying length is rejected without
// waiting for bytes that may never come; values are read only once present. Returns the
// error, or empty. `base` is the region's offset in the header, for messages.
std::string walk_tlvs(bytes_view present, std::size_t region_size, std::size_t base, bool top_level,
                      std::optional<std::uint64_t>& psc) {
  std::size_t off = 0;
  while (off < region_size) {
    const std::size_t left = region_size - off;
    if (left < tlv_header_size) {
      return "PROXY v2: truncated TLV at offset " + std::to_string(base + off) + ": " +
             std::to_string(left) + " byte(s) left, a TLV header needs 3";
    }
    if (present.size() < off + tlv_header_size) return {};  // the rest has not arrived yet
    const std::uint8_t type = u8(present, off);
    const std::size_t length = be16(present, off + 1);
    const std::size_t value = off + tlv_header_size;
    if (length > region_size - value) {
      return "PROXY v2: TLV type " + hex_byte(type) + " at offset " + std::to_string(base + off) +
             " has length " + std::to_string(length) + ", past the end of the header (" +
             std::to_string(region_size - value) + " byte(s) left)";
    }
    if (top_level && type == proxy_v2_tlv_gcp_psc) {
      if (length != 8) {
        return "PROXY v2: PSC connection-id TLV (0xe0) at offset " + std::to_string(base + off) +
               " has length " + std::to_string(length) + ", expected 8";
      }
      if (present.size() >= value + 8) {
        // Two ids would leave "which connection is this" to the order we read them in.
        if (psc) return "PROXY v2: duplicate PSC connection-id TLV (0xe0)";
        psc = be64(present, value);
      }
    } else if (top_level && type == tlv_ssl) {
      if (length < ssl_tlv_fixed_size) {
        return "PROXY v2: SSL TLV (0x20) at offset " + std::to_string(base + off) + " has length " +
               std::to_string(length) + ", less than its 5 fixed bytes";
      }
      const std::size_t subs = value + ssl_tlv_fixed_size;
      std::optional<std::uint64_t> unused;  // a 0xE0 inside SSL is a sub-type, not Google's id
      auto nested =
          walk_tlvs(tail(present, subs)
                        .first(std::min(tail(present, subs).size(), length - ssl_tlv_fixed_size)),
                    length - ssl_tlv_fixed_size, base + subs, false, unused);
      if (!nested.empty()) return nested;
    }
    // Every other type (ALPN, authority, CRC32C, NOOP, unique id, netns, other vendors') is
    // skipped: nothing here acts on it, and the spec asks receivers to ignore unknown types.
    off = value + length;
  }
  return {};
}

std::string ntop(int af, bytes_view d, std::size_t at) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(af, d.data() + at, buf, sizeof buf);
  return buf;
}

proxy_parse_result parse_v2(bytes_view d) {
  if (d.size() < 13) return need_more();
  const std::uint8_t ver_cmd = u8(d, 12);
  if ((ver_cmd >> 4) != 2) {
    return invalid("PROXY v2: bad version nibble " + std::to_string(ver_cmd >> 4) +
                   " in byte 12 (" + hex_byte(ver_cmd) + "), expected 2");
  }
  const std::uint8_t command = ver_cmd & 0x0F;
  if (command > 1) {
    return invalid("PROXY v2: bad command " + std::to_string(command) +
                   ", expected 0 (LOCAL) or 1 (PROXY)");
  }
  if (d.size() < 14) return need_more();
  const std::uint8_t fam = u8(d, 13);
  const bool local = command == 0 || fam == 0x00;
  std::size_t address_size = 0;
  // LOCAL: "the receiver must ... discard the protocol block including the family", so its
  // family byte is not checked. PROXY over UNSPEC is v2's "UNKNOWN": accepted, no addresses.
  if (!local) {
    if (fam == 0x11) {
      address_size = 12;
    } else if (fam == 0x21) {
      address_size = 36;
    } else {
      return invalid("PROXY v2: unsupported " + family_name(fam) +
                     ", expected TCP over IPv4 (0x11) or IPv6 (0x21)");
    }
  }
  if (d.size() < proxy_v2_fixed_size) return need_more();
  const std::size_t length = be16(d, 14);
  if (length > proxy_v2_max_length) {
    return invalid("PROXY v2: header length " + std::to_string(length) + " exceeds the " +
                   std::to_string(proxy_v2_max_length) + "-byte limit");
  }
  if (length < address_size) {
    return invalid("PROXY v2: header length " + std::to_string(length) + " too short for " +
                   (fam == 0x11 ? "TCP over IPv4" : "TCP over IPv6") + " (needs " +
                   std::to_string(address_size) + ")");
  }
  proxy_header h;
  h.version = 2;
  h.local = local;
  h.size = proxy_v2_fixed_size + length;
  if (!local) {
    const std::size_t tlvs_at = proxy_v2_fixed_size + address_size;
    const bytes_view present = tail(d.first(std::min(d.size(), h.size)), tlvs_at);
    auto why = walk_tlvs(present, length - address_size, tlvs_at, true, h.psc_connection_id);
    if (!why.empty()) return invalid(std::move(why));
  }
  if (d.size() < h.size) return need_more();
  if (!local) {
    const int af = fam == 0x11 ? AF_INET : AF_INET6;
    const std::size_t n = fam == 0x11 ? 4 : 16;
    h.source_address = ntop(af, d, 16);
    h.destination_address = ntop(af, d, 16 + n);
    h.source_port = be16(d, 16 + 2 * n);
    h.destination_port = be16(d, 16 + 2 * n + 2);
  }
  return complete(std::move(h));
}

// ---------------------------------------------------------------------------------------------
// v1

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A port: decimal 0..65535 without leading zeros. When `partial` the field may still grow, so
// only what no further digit could fix is rejected.
std::string check_port(std::string_view f, bool partial, std::string_view name,
                       std::uint16_t& out) {
  const std::string bad = "PROXY v1: bad " + std::string(name) + " \"" + std::string(f) + "\"";
  if (f.empty()) return partial ? std::string() : bad + ": empty field";
  if (!std::all_of(f.begin(), f.end(), is_digit)) return bad + ": not a decimal number";
  if (f.size() > 1 && f[0] == '0') return bad + ": leading zero";
  if (f.size() > 5) return bad + ": out of range 0..65535";
  unsigned v = 0;
  for (char c : f) v = v * 10 + static_cast<unsigned>(c - '0');
  if (v > 65535) return bad + ": out of range 0..65535";
  out = static_cast<std::uint16_t>(v);
  return {};
}

std::string check_address(std::string_view f, bool partial, bool ipv6, std::string_view name,
                          std::string& out) {
  const std::string bad = "PROXY v1: bad " + std::string(ipv6 ? "TCP6 " : "TCP4 ") +
                          std::string(name) + " \"" + std::string(f) + "\"";
  const std::size_t max = ipv6 ? v1_max_ipv6_text : v1_max_ipv4_text;
  const bool charset_ok = std::all_of(f.begin(), f.end(), [ipv6](char c) {
    return ipv6 ? is_hex(c) || c == ':' || c == '.' : is_digit(c) || c == '.';
  });
  if (!charset_ok || f.size() > max) {
    return bad + (ipv6 ? ": not an IPv6 address" : ": not an IPv4 address");
  }
  if (partial) return {};
  std::array<std::uint8_t, 16> raw{};
  const std::string z(f);
  const int af = ipv6 ? AF_INET6 : AF_INET;
  if (f.empty() || ::inet_pton(af, z.c_str(), raw.data()) != 1) {
    return bad + (ipv6 ? ": not an IPv6 address" : ": not an IPv4 address");
  }
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(af, raw.data(), buf, sizeof buf);
  out = buf;
  return {};
}

proxy_parse_result parse_v1(bytes_view d) {
  const std::string_view window = as_chars(d).substr(0, proxy_v1_max_size);
  const auto crlf = window.find("\r\n");
  const bool terminated = crlf != std::string_view::npos;
  std::string_view line = terminated ? window.substr(0, crlf) : window;
  if (!terminated) {
    if (window.size() >= proxy_v1_max_size) {
      return invalid("PROXY v1: no CRLF within the first 107 bytes");
    }
    if (line.ends_with('\r')) line.remove_suffix(1);  // its LF may be in the next read
  }
  if (const auto stray = line.find_first_of("\r\n"); stray != std::string_view::npos) {
    return invalid("PROXY v1: stray " + std::string(line[stray] == '\r' ? "CR" : "LF") +
                   " at byte " + std::to_string(stray) + " before the CRLF");
  }
  line.remove_prefix(v1_signature.size());

  std::vector<std::string_view> fields;
  for (std::size_t from = 0;;) {
    const auto space = line.find(' ', from);
    fields.push_back(line.substr(from, space - from));
    if (space == std::string_view::npos) break;
    from = space + 1;
  }
  // The last field may still grow until the CRLF has arrived.
  const auto partial = [&](std::size_t i) { return !terminated && i + 1 == fields.size(); };

  const std::string_view proto = fields[0];
  if (partial(0)) {
    for (std::string_view p : {"TCP4", "TCP6", "UNKNOWN"}) {
      if (p.starts_with(proto)) return need_more();
    }
  }
  proxy_header h;
  h.version = 1;
  if (proto == "UNKNOWN") {
    // The spec has receivers ignore whatever follows UNKNOWN up to the CRLF.
    if (!terminated) return need_more();
    h.local = true;
    h.size = crlf + 2;
    return complete(std::move(h));
  }
  if (proto != "TCP4" && proto != "TCP6") {
    return invalid("PROXY v1: unknown protocol \"" + std::string(proto) +
                   "\", expected TCP4, TCP6 or UNKNOWN");
  }
  const bool ipv6 = proto == "TCP6";
  std::string why;
  // Fields in order, so "two spaces" reads as the empty field it makes, not as a count.
  for (std::size_t i = 1; i < std::min<std::size_t>(fields.size(), 5) && why.empty(); ++i) {
    switch (i) {
      case 1:
        why = check_address(fields[i], partial(i), ipv6, "source address", h.source_address);
        break;
      case 2:
        why = check_address(fields[i], partial(i), ipv6, "destination address",
                            h.destination_address);
        break;
      case 3:
        why = check_port(fields[i], partial(i), "source port", h.source_port);
        break;
      default:
        why = check_port(fields[i], partial(i), "destination port", h.destination_port);
        break;
    }
  }
  if (!why.empty()) return invalid(std::move(why));
  if (fields.size() > 5) {
    return invalid("PROXY v1: too many fields after " + std::string(proto) + " (expected 4)");
  }
  if (!terminated) return need_more();
  if (fields.size() < 5) {
    return invalid("PROXY v1: " + std::string(proto) + " line has " +
                   std::to_string(fields.size() - 1) +
                   " field(s) after the protocol, expected 4 (addresses and ports)");
  }
  h.size = crlf + 2;
  return complete(std::move(h));
}

}  // namespace

std::string_view to_string(proxy_parse_status status) noexcept {
  switch (status) {
    case proxy_parse_status::complete:
      return "complete";
    case proxy_parse_status::need_more:
      return "need_more";
    case proxy_parse_status::invalid:
      return "invalid";
  }
  return "unknown";
}

proxy_parse_result parse_proxy_header(bytes_view data) {
  if (data.empty()) return need_more();
  if (u8(data, 0) == v2_signature[0]) {
    for (std::size_t i = 1; i < std::min(data.size(), v2_signature.size()); ++i) {
      if (u8(data, i) != v2_signature[i]) {
        return not_proxy(data, "bad v2 signature at byte " + std::to_string(i));
      }
    }
    return parse_v2(data);
  }
  if (u8(data, 0) == static_cast<std::uint8_t>(v1_signature[0])) {
    const std::string_view text = as_chars(data);
    for (std::size_t i = 1; i < std::min(text.size(), v1_signature.size()); ++i) {
      if (text[i] != v1_signature[i]) {
        return not_proxy(data, "bad v1 signature \"PROXY \" at byte " + std::to_string(i));
      }
    }
    if (data.size() < v1_signature.size()) return need_more();
    return parse_v1(data);
  }
  return not_proxy(data, "neither the v1 nor the v2 signature");
}

}  // namespace kpp::protocol
