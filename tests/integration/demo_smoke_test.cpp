// The README's first command, as a test: the built-in demo must pass end to end.
#include <gtest/gtest.h>

#include "support/proxy_process.h"

using namespace std::chrono_literals;

TEST(DemoSmoke, DemoMovesEveryMessageThroughTheProxy) {
  kpp::test::proxy_process demo({"demo", "--messages", "500"});
  auto status = demo.wait_exit(120s);
  ASSERT_TRUE(status.has_value()) << demo.output();
  EXPECT_EQ(*status, 0) << demo.output();
  const auto out = demo.output();
  EXPECT_NE(out.find("consumed and verified 500/500 messages"), std::string::npos) << out;
  EXPECT_EQ(out.find("LEAKED"), std::string::npos) << out;
}
