// parse_cidr and contains: tables of accepted and rejected blocks, membership at the edges of
// each block, and IPv4 / IPv4-mapped IPv6 equivalence.
#include "kpp/protocol/cidr.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace kpp::protocol {
namespace {

cidr must_parse(std::string_view text) {
  std::string why;
  const auto c = parse_cidr(text, &why);
  EXPECT_TRUE(c.has_value()) << text << ": " << why;
  return c.value_or(cidr{});
}

TEST(CidrParse, AcceptedBlocksPrintCanonically) {
  struct row {
    std::string_view text, canonical;
  };
  for (const row& r : {
           row{"10.0.0.0/8", "10.0.0.0/8"},
           row{"0.0.0.0/0", "0.0.0.0/0"},
           row{"192.168.1.7", "192.168.1.7/32"},
           row{"192.168.1.7/32", "192.168.1.7/32"},
           row{"172.16.0.0/12", "172.16.0.0/12"},
           row{"2001:db8::/32", "2001:db8::/32"},
           row{"2001:DB8:0::/48", "2001:db8::/48"},
           row{"::/0", "::/0"},
           row{"::1", "::1/128"},
           row{"fe80::/10", "fe80::/10"},
           row{"::ffff:0:0/96", "::ffff:0.0.0.0/96"},
       }) {
    EXPECT_EQ(must_parse(r.text).to_string(), r.canonical) << r.text;
  }
}

TEST(CidrParse, RejectedInputSaysWhy) {
  struct row {
    std::string_view text, why;
  };
  for (const row& r : {
           row{"", "is not an IPv4 or IPv6 address"},
           row{"/8", "\"\" is not an IPv4 or IPv6 address"},
           row{"10.0.0/8", "is not an IPv4 or IPv6 address"},
           row{"10.0.0.256/32", "is not an IPv4 or IPv6 address"},
           row{"010.0.0.0/8", "is not an IPv4 or IPv6 address"},
           row{"example.com/24", "is not an IPv4 or IPv6 address"},
           row{" 10.0.0.0/8", "is not an IPv4 or IPv6 address"},
           row{"10.0.0.0/8/8", "prefix length \"8/8\""},
           row{"10.0.0.0/", "prefix length \"\" is not a decimal number"},
           row{"10.0.0.0/-1", "is not a decimal number"},
           row{"10.0.0.0/+8", "is not a decimal number"},
           row{"10.0.0.0/08", "is not a decimal number"},
           row{"10.0.0.0/8 ", "is not a decimal number"},
           row{"10.0.0.0/33", "prefix length 33 exceeds 32 for an IPv4 address"},
           row{"2001:db8::/129", "prefix length 129 exceeds 128 for an IPv6 address"},
           row{"2001:db8::/1000", "is not a decimal number"},
           row{"10.1.0.0/8", "bits set past the /8 prefix (did you mean 10.0.0.0/8?)"},
           row{"192.168.1.7/24", "did you mean 192.168.1.0/24?"},
           row{"2001:db8::1/32", "did you mean 2001:db8::/32?"},
           row{"fe80::%eth0/64", "is not an IPv4 or IPv6 address"},
       }) {
    std::string why;
    EXPECT_FALSE(parse_cidr(r.text, &why).has_value()) << r.text;
    EXPECT_NE(why.find(r.why), std::string::npos) << r.text << " -> " << why;
  }
  // An embedded NUL must not let "10.0.0.1" through with trailing junk.
  EXPECT_FALSE(parse_cidr(std::string_view("10.0.0.1\0junk", 13)).has_value());
  EXPECT_FALSE(parse_cidr("nonsense").has_value());  // no `why` requested: still just nullopt
}

TEST(CidrContains, MembershipTable) {
  struct row {
    std::string_view block, ip;
    bool in;
  };
  for (const row& r : {
           row{"10.0.0.0/8", "10.0.0.0", true},
           row{"10.0.0.0/8", "10.255.255.255", true},
           row{"10.0.0.0/8", "11.0.0.0", false},
           row{"10.0.0.0/8", "9.255.255.255", false},
           row{"172.16.0.0/12", "172.31.255.255", true},
           row{"172.16.0.0/12", "172.32.0.0", false},
           row{"192.168.1.7", "192.168.1.7", true},
           row{"192.168.1.7", "192.168.1.8", false},
           row{"0.0.0.0/0", "203.0.113.9", true},
           row{"0.0.0.0/0", "2001:db8::1", false},
           row{"2001:db8::/32", "2001:db8:ffff::1", true},
           row{"2001:db8::/32", "2001:db9::", false},
           row{"fe80::/10", "febf::1", true},
           row{"fe80::/10", "fec0::1", false},
           row{"::1", "::1", true},
           row{"::1", "::2", false},
           row{"2001:db8::/32", "10.0.0.1", false},
           // IPv4-mapped IPv6 spellings are the IPv4 address.
           row{"10.0.0.0/8", "::ffff:10.1.2.3", true},
           row{"10.0.0.0/8", "::FFFF:a01:203", true},
           row{"10.0.0.0/8", "::ffff:11.1.2.3", false},
           row{"10.0.0.0/8", "::10.1.2.3", false},  // IPv4-compatible is not mapped
           row{"::ffff:0:0/96", "10.1.2.3", true},
           row{"::ffff:10.0.0.0/104", "10.1.2.3", true},
           row{"::/0", "10.1.2.3", true},
           // Unparsable addresses are never members.
           row{"0.0.0.0/0", "", false},
           row{"0.0.0.0/0", "10.0.0", false},
           row{"0.0.0.0/0", "10.0.0.1 ", false},
           row{"0.0.0.0/0", "10.0.0.1/32", false},
           row{"::/0", "fe80::1%eth0", false},
           row{"::/0", "localhost", false},
       }) {
    EXPECT_EQ(contains(must_parse(r.block), r.ip), r.in) << r.block << " contains " << r.ip;
  }
  EXPECT_FALSE(contains(must_parse("0.0.0.0/0"), std::string_view("10.0.0.1\0", 9)));
}

TEST(CidrContains, EveryIpv4PrefixLengthSplitsAtItsBoundary) {
  // 255.255.255.255/n holds all-ones addresses; clearing bit n (from the top) leaves the block.
  for (int n = 1; n <= 32; ++n) {
    const std::uint32_t net = n == 32 ? 0xffffffffu : ~((1u << (32 - n)) - 1);
    const auto dotted = [](std::uint32_t a) {
      return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
             std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
    };
    const auto block = must_parse(dotted(net) + "/" + std::to_string(n));
    EXPECT_TRUE(contains(block, dotted(0xffffffffu))) << n;
    EXPECT_FALSE(contains(block, dotted(0xffffffffu & ~(1u << (32 - n))))) << n;
  }
}

}  // namespace
}  // namespace kpp::protocol
