#include "kpp/protocol/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace kpp::protocol {
namespace {

using addr16 = std::array<std::uint8_t, 16>;

// Parses a textual IPv4 or IPv6 address into the IPv6 form (IPv4 becomes ::ffff:a.b.c.d).
// inet_pton wants a NUL-terminated string, so an embedded NUL would silently cut the text
// short ("10.0.0.1\0junk"); such input is refused up front.
std::optional<addr16> parse_ip(std::string_view text, bool* was_ipv4) {
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string z(text);
  addr16 out{};
  std::uint8_t v4[4];
  if (::inet_pton(AF_INET, z.c_str(), v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, v4, 4);
    if (was_ipv4 != nullptr) *was_ipv4 = true;
    return out;
  }
  if (::inet_pton(AF_INET6, z.c_str(), out.data()) == 1) {
    if (was_ipv4 != nullptr) *was_ipv4 = false;
    return out;
  }
  return std::nullopt;
}

// The bits of `a` below `prefix` (in the first `prefix` bits) equal those of `b`.
bool same_prefix(const addr16& a, const addr16& b, int prefix) {
  const int whole = prefix / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

addr16 masked(addr16 a, int prefix) {
  for (int bit = prefix; bit < 128; ++bit) {
    a[bit / 8] &= static_cast<std::uint8_t>(~(1u << (7 - bit % 8)));
  }
  return a;
}

void fail(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

}  // namespace

std::string cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ipv4) {
    ::inet_ntop(AF_INET, address.data() + 12, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix_length - 96);
  }
  ::inet_ntop(AF_INET6, address.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix_length);
}

std::optional<cidr> parse_cidr(std::string_view text, std::string* why) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto slash = text.find('/');
  const std::string_view ip_text = text.substr(0, slash);
  bool is_v4 = false;
  const auto address = parse_ip(ip_text, &is_v4);
  if (!address) {
    fail(why, "bad CIDR " + quoted + ": \"" + std::string(ip_text) +
                  "\" is not an IPv4 or IPv6 address");
    return std::nullopt;
  }
  const int max_prefix = is_v4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    // Digits only (no sign, no spaces), no leading zero: "/08" is more likely a typo than 8.
    const bool well_formed =
        !digits.empty() && digits.size() <= 3 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (digits.size() == 1 || digits[0] != '0');
    if (!well_formed) {
      fail(why, "bad CIDR " + quoted + ": prefix length \"" + std::string(digits) +
                    "\" is not a decimal number");
      return std::nullopt;
    }
    prefix = 0;
    for (char c : digits) prefix = prefix * 10 + (c - '0');
    if (prefix > max_prefix) {
      fail(why, "bad CIDR " + quoted + ": prefix length " + std::to_string(prefix) + " exceeds " +
                    std::to_string(max_prefix) + " for an " + (is_v4 ? "IPv4" : "IPv6") +
                    " address");
      return std::nullopt;
    }
  }
  cidr block;
  block.ipv4 = is_v4;
  block.prefix_length = is_v4 ? prefix + 96 : prefix;
  block.address = *address;
  if (const auto clean = masked(block.address, block.prefix_length); clean != block.address) {
    cidr intended = block;
    intended.address = clean;
    fail(why, "bad CIDR " + quoted + ": address has bits set past the /" + std::to_string(prefix) +
                  " prefix (did you mean " + intended.to_string() + "?)");
    return std::nullopt;
  }
  return block;
}

bool contains(const cidr& block, std::string_view ip) {
  const auto address = parse_ip(ip, nullptr);
  return address && same_prefix(*address, block.address, block.prefix_length);
}

}  // namespace kpp::protocol
