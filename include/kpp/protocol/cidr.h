// CIDR blocks ("10.0.0.0/8", "2001:db8::/32", or a bare address as a /32 or /128) and
// membership tests on textual addresses, for allow-lists of PROXY-protocol source addresses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpp::protocol {

struct cidr {
  // Stored in IPv6 form: an IPv4 block a.b.c.d/n is ::ffff:a.b.c.d/(96+n). One representation
  // makes IPv4-mapped IPv6 clients ("::ffff:10.1.2.3", as dual-stack sockets report IPv4 peers)
  // match IPv4 blocks without a special case.
  std::array<std::uint8_t, 16> address{};
  int prefix_length = 0;  // in the stored IPv6 form: 0..128
  bool ipv4 = false;      // written as IPv4; only affects to_string()

  // Canonical text: "10.0.0.0/8", "2001:db8::/32".
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const cidr&, const cidr&) = default;
};

// nullopt for anything but an address with an optional "/prefix"; `why` (when given) then says
// what is wrong. Host bits set below the prefix ("10.1.0.0/8") are rejected rather than masked:
// in an allow-list that is almost always a typo for a narrower or a different block.
[[nodiscard]] std::optional<cidr> parse_cidr(std::string_view text, std::string* why = nullptr);

// Whether the textual IPv4 or IPv6 address `ip` lies in `block`; false for unparsable text.
// IPv4 and IPv4-mapped IPv6 spellings of one address are the same address here, so
// "::ffff:10.1.2.3" is in 10.0.0.0/8 and "10.1.2.3" is in ::ffff:0:0/96 (and in ::/0).
[[nodiscard]] bool contains(const cidr& block, std::string_view ip);

}  // namespace kpp::protocol
