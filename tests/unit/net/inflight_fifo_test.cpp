#include "kpp/net/inflight_fifo.h"

#include <gtest/gtest.h>

namespace {

using kpp::net::inflight_entry;
using kpp::net::inflight_fifo;

TEST(InflightFifo, KeepsOrderAcrossWrapAround) {
  inflight_fifo f(3);
  EXPECT_TRUE(f.empty());
  std::int32_t next_in = 0;
  std::int32_t next_out = 0;
  for (int round = 0; round < 10; ++round) {
    while (!f.full()) f.push({.correlation_id = next_in++});
    EXPECT_EQ(f.size(), 3u);
    f.pop();
    ++next_out;
    EXPECT_EQ(f.front().correlation_id, next_out);
  }
  while (!f.empty()) {
    EXPECT_EQ(f.front().correlation_id, next_out++);
    f.pop();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(InflightFifo, CarriesTheEntryAsPushed) {
  inflight_fifo f(2);
  f.push({.correlation_id = 7,
          .api_key = 3,
          .api_version = 12,
          .action = kpp::protocol::response_action::metadata,
          .response_optional = false});
  f.push({.correlation_id = 8, .api_key = 0, .response_optional = true});
  EXPECT_EQ(f.front().action, kpp::protocol::response_action::metadata);
  EXPECT_EQ(f.front().api_version, 12);
  f.pop();
  EXPECT_TRUE(f.front().response_optional);
  EXPECT_EQ(f.front().correlation_id, 8);
}

}  // namespace

namespace {

TEST(InflightFifo, GrowsPastItsFirstAllocationKeepingOrder) {
  kpp::net::inflight_fifo f(100);
  for (std::int32_t i = 0; i < 5; ++i) f.push({.correlation_id = i});
  for (std::int32_t i = 0; i < 3; ++i) f.pop();  // head is now mid-ring
  for (std::int32_t i = 5; i < 100 + 3; ++i) f.push({.correlation_id = i});
  EXPECT_TRUE(f.full());
  for (std::int32_t i = 3; i < 103; ++i) {
    ASSERT_EQ(f.front().correlation_id, i);
    f.pop();
  }
  EXPECT_TRUE(f.empty());
}

}  // namespace
