#include "kpp/config/duration.h"

#include <gtest/gtest.h>

namespace kpp::config {
namespace {

TEST(ParseDuration, AcceptsUnitsAndGoCompounds) {
  struct row {
    const char* text;
    std::int64_t ms;
  };
  for (const auto& r : std::initializer_list<row>{{"0", 0},
                                                  {"100ms", 100},
                                                  {"30s", 30'000},
                                                  {"5m", 300'000},
                                                  {"1h", 3'600'000},
                                                  {"1m0s", 60'000},
                                                  {"1h30m", 5'400'000},
                                                  {"1.5s", 1'500},
                                                  {"2000us", 2},
                                                  {"3000000ns", 3},
                                                  {"0s", 0}}) {
    auto d = parse_duration(r.text);
    ASSERT_TRUE(d.has_value()) << r.text;
    EXPECT_EQ(d->count(), r.ms) << r.text;
  }
}

TEST(ParseDuration, RefusesMalformed) {
  for (const char* text : {"", "30", "s", "10x", "-5s", "1.s.", "100us", "5 s", "1e3s", ".s"})
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
}

TEST(FormatDuration, RoundTrips) {
  for (std::int64_t ms : {0, 1, 250, 1000, 1500, 30'000, 60'000, 90'000, 3'600'000, 5'400'000}) {
    const auto text = format_duration(millis{ms});
    auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(back->count(), ms) << text;
  }
  EXPECT_EQ(format_duration(millis{300'000}), "5m");
  EXPECT_EQ(format_duration(millis{90'000}), "1m30s");
}

TEST(ParseSize, UnitsAndPlainBytes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("100MiB"), 100u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("64KB"), 64000u);
  EXPECT_EQ(parse_size("1MB"), 1000000u);
  EXPECT_EQ(parse_size("12B"), 12u);
  for (const char* bad :
       {"", "MiB", "10 MiB", "10mib", "-1", "1.5MiB", "99999999999999999999", "20000000000GiB"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(FormatSize, PicksExactBinaryUnit) {
  EXPECT_EQ(format_size(100u << 20), "100MiB");
  EXPECT_EQ(format_size(65536), "64KiB");
  EXPECT_EQ(format_size(4095), "4095");
  EXPECT_EQ(format_size(0), "0");
}

}  // namespace
}  // namespace kpp::config
