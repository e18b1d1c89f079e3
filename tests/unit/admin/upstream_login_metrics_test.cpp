#include "kpp/admin/upstream_login_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kpp::admin {
namespace {

using ::testing::HasSubstr;

// Both outcomes are always rendered (0 until they happen), so dashboards can rate() them.
TEST(UpstreamLoginMetrics, RendersReauthenticationsByOutcome) {
  upstream_login_metrics m;
  m.count(reauthentication_outcome::success);
  m.count(reauthentication_outcome::success);
  EXPECT_EQ(m.value(reauthentication_outcome::success), 2u);
  std::string out;
  m.render_prometheus(out);
  EXPECT_THAT(out, HasSubstr("# TYPE kafka_psc_proxy_upstream_reauthentications_total counter\n"));
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_upstream_reauthentications_total{outcome="
                             "\"success\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("kafka_psc_proxy_upstream_reauthentications_total{outcome="
                             "\"failure\"} 0\n"));
}

}  // namespace
}  // namespace kpp::admin
