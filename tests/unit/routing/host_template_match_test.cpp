// The advertised-host template read backwards (routing: sni): a name gives the node id that
// renders to it, and nothing else does. Malformed names, near misses and every rendering of
// a sample of ids are checked against render() itself.
#include "kpp/routing/host_template_match.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

namespace kpp::routing {
namespace {

host_template must_parse(const std::string& pattern) {
  std::string why;
  auto t = host_template::parse(pattern, &why);
  EXPECT_TRUE(t.has_value()) << pattern << ": " << why;
  return t.value_or(host_template{});
}

TEST(HostTemplateMatch, NamesTheNodeIdThatRendersToTheName) {
  const auto t = must_parse("b{node_id}.kafka.example.com");
  EXPECT_EQ(match_node_id(t, "b0.kafka.example.com"), 0);
  EXPECT_EQ(match_node_id(t, "b7.kafka.example.com"), 7);
  EXPECT_EQ(match_node_id(t, "b1234.kafka.example.com"), 1234);
  EXPECT_EQ(match_node_id(t, "b2147483647.kafka.example.com"), INT_MAX);
  EXPECT_EQ(match_node_id(t, "B7.Kafka.EXAMPLE.com"), 7);  // DNS names ignore case
}

TEST(HostTemplateMatch, RoundTripsRenderForManyIds) {
  for (const char* pattern :
       {"b{node_id}.x.example.com", "{node_id}.brokers.internal", "kafka-{node_id}",
        "b{node_id}0.example.com", "n{node_id}-{node_id}.example.com", "{node_id}"}) {
    const auto t = must_parse(pattern);
    for (std::int32_t id : {0, 1, 9, 10, 11, 99, 100, 101, 1000, 65535, 1000000, INT_MAX}) {
      EXPECT_EQ(match_node_id(t, t.render(id)), id) << pattern << " " << id;
    }
  }
}

TEST(HostTemplateMatch, DigitsAfterThePlaceholderAreNotAnId) {
  // "b{node_id}0": b10 is node 1, b100 node 10, b0 nobody ("" is no id).
  const auto t = must_parse("b{node_id}0.example.com");
  EXPECT_EQ(match_node_id(t, "b10.example.com"), 1);
  EXPECT_EQ(match_node_id(t, "b100.example.com"), 10);
  EXPECT_EQ(match_node_id(t, "b00.example.com"), 0);
  EXPECT_EQ(match_node_id(t, "b0.example.com"), std::nullopt);
}

TEST(HostTemplateMatch, EveryOccurrenceMustBeTheSameId) {
  const auto t = must_parse("n{node_id}-{node_id}.example.com");
  EXPECT_EQ(match_node_id(t, "n3-3.example.com"), 3);
  EXPECT_EQ(match_node_id(t, "n3-4.example.com"), std::nullopt);
}

TEST(HostTemplateMatch, MalformedAndNearMissNamesMatchNothing) {
  const auto t = must_parse("b{node_id}.kafka.example.com");
  const std::vector<std::string> names = {
      "",
      "b",
      "b.kafka.example.com",    // no id
      "b-1.kafka.example.com",  // negative ids are never rendered
      "b+1.kafka.example.com",
      "b01.kafka.example.com",  // leading zero: render() never writes one
      "b00.kafka.example.com",
      "b2147483648.kafka.example.com",  // beyond int32
      "b99999999999999999999.kafka.example.com",
      "b1.kafka.example.com.",  // trailing dot
      "b1.kafka.example.co",    // truncated
      "b1.kafka.example.comm",  // longer
      "a1.kafka.example.com",   // other prefix
      "b1x.kafka.example.com",
      "b\xff.kafka.example.com",
      "kafka.example.com",
      "b1 .kafka.example.com",
      "*.kafka.example.com",
      "b{node_id}.kafka.example.com",  // the pattern itself
  };
  for (const auto& name : names)
    EXPECT_EQ(match_node_id(t, name), std::nullopt) << "\"" << name << "\"";
  const std::string nul("b1.kafka.example.com\0", 21);
  EXPECT_EQ(match_node_id(t, nul), std::nullopt);
}

TEST(HostTemplateMatch, ATemplateWithoutThePlaceholderNamesNoBroker) {
  const auto t = must_parse("kafka.example.com");
  EXPECT_EQ(match_node_id(t, "kafka.example.com"), std::nullopt);
  EXPECT_EQ(match_node_id(host_template{}, ""), std::nullopt);
}

TEST(HostTemplateMatch, EveryPrefixAndOneByteChangeOfAGoodNameIsTotal) {
  // Exhaustive over small mutations: no crash, and a hit only where render() agrees.
  const auto t = must_parse("b{node_id}.k.example.com");
  const std::string good = t.render(42);
  for (std::size_t len = 0; len <= good.size(); ++len) {
    const auto got = match_node_id(t, good.substr(0, len));
    if (len == good.size()) {
      EXPECT_EQ(got, 42);
    } else if (got) {
      EXPECT_EQ(t.render(*got), good.substr(0, len));
    }
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      std::string name = good;
      name[i] = static_cast<char>(b);
      const auto got = match_node_id(t, name);
      if (got) {
        EXPECT_TRUE(host_names_equal(t.render(*got), name)) << name;
      }
    }
  }
}

TEST(HostNamesEqual, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(host_names_equal("Kafka.Example.COM", "kafka.example.com"));
  EXPECT_FALSE(host_names_equal("kafka.example.com", "kafka.example.co"));
  EXPECT_FALSE(host_names_equal("a", "\xc1"));
}

}  // namespace
}  // namespace kpp::routing
