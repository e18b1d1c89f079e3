// host:port parsing as users write it in YAML and flags: every accepted form, every edge of
// the port range, and the shapes that must be refused rather than half-parsed.
#include "kpp/routing/host_port.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace kpp::routing {
namespace {

struct parse_case {
  const char* text;
  std::optional<host_port> want;
};

class ParseHostPort : public ::testing::TestWithParam<parse_case> {};

TEST_P(ParseHostPort, ParsesOrRefuses) {
  const auto& c = GetParam();
  EXPECT_EQ(parse_host_port(c.text), c.want) << "input: \"" << c.text << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseHostPort,
    ::testing::Values(parse_case{"10.0.0.1:9092", host_port{"10.0.0.1", 9092}},
                      parse_case{"b1.example.com:9093", host_port{"b1.example.com", 9093}},
                      parse_case{"[::1]:9092", host_port{"::1", 9092}},
                      parse_case{"[fd00::10]:1", host_port{"fd00::10", 1}},
                      parse_case{"h:1", host_port{"h", 1}},          // lowest port
                      parse_case{"h:65535", host_port{"h", 65535}},  // highest port
                      parse_case{"h:0", std::nullopt},  // port 0 is "any", never an address
                      parse_case{"h:65536", std::nullopt},
                      parse_case{"h:99999999999", std::nullopt},  // overflow must not wrap
                      parse_case{"h:-1", std::nullopt}, parse_case{"h:+1", std::nullopt},
                      parse_case{"h:12a", std::nullopt}, parse_case{"h: 12", std::nullopt},
                      parse_case{"h:", std::nullopt}, parse_case{":9092", std::nullopt},
                      parse_case{"h", std::nullopt}, parse_case{"", std::nullopt},
                      parse_case{"::1:9092", std::nullopt},  // bare IPv6: where does the host end?
                      parse_case{"[::1]9092", std::nullopt}, parse_case{"[::1]:", std::nullopt},
                      parse_case{"[::1", std::nullopt}, parse_case{"[]:9092", std::nullopt}));

TEST(HostPortStr, BracketsIpv6LiteralsOnly) {
  EXPECT_EQ((host_port{"10.0.0.1", 9092}).str(), "10.0.0.1:9092");
  EXPECT_EQ((host_port{"b1.example.com", 1}).str(), "b1.example.com:1");
  EXPECT_EQ((host_port{"::1", 65535}).str(), "[::1]:65535");
}

TEST(HostPortStr, RoundTripsThroughParse) {
  for (const auto& hp : {host_port{"10.0.0.1", 9092}, host_port{"fd00::1", 19092},
                         host_port{"b7.x.example.com", 443}}) {
    EXPECT_EQ(parse_host_port(hp.str()), hp) << hp.str();
  }
}

TEST(HostPortOrder, ComparesHostThenPort) {
  EXPECT_LT((host_port{"a", 9}), (host_port{"b", 1}));
  EXPECT_LT((host_port{"a", 1}), (host_port{"a", 2}));
  EXPECT_NE((host_port{"a", 1}), (host_port{"a", 2}));
}

}  // namespace
}  // namespace kpp::routing
