// The psc_connection_id series are bounded by evicting idle ones, not by freezing the first
// 1,024 ids seen (a forged-id flood must not pin real endpoints into "_overflow" for good).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kpp/admin/metrics.h"

namespace kpp::admin {
namespace {

bool has_series(const registry& r, const std::string& id) {
  std::string out;
  r.render_prometheus(out);
  return out.find("psc_connections_total{psc_connection_id=\"" + id + "\"}") != std::string::npos;
}

TEST(PscSeries, ANewIdEvictsTheLeastRecentlyUsedIdleSeries) {
  registry r;
  // A flood of ids, each connecting once and leaving.
  for (std::size_t i = 0; i < registry::max_psc_connection_ids; ++i)
    connection_guard g(r.psc_connection("forged-" + std::to_string(i)));
  connection_guard g0(r.psc_connection("forged-0"));  // now the most recently used
  // A real endpoint arriving later gets its own series, not "_overflow".
  connection_guard real(r.psc_connection("4242"));
  EXPECT_TRUE(has_series(r, "4242"));
  EXPECT_FALSE(has_series(r, "_overflow"));
  EXPECT_TRUE(has_series(r, "forged-0"));   // recently used: kept
  EXPECT_FALSE(has_series(r, "forged-1"));  // least recently used idle: evicted
  EXPECT_TRUE(has_series(r, "forged-2"));
}

TEST(PscSeries, SeriesWithOpenConnectionsAreNeverEvicted) {
  registry r;
  std::vector<connection_guard> open;
  for (std::size_t i = 0; i < registry::max_psc_connection_ids; ++i)
    open.emplace_back(r.psc_connection(std::to_string(i)));
  connection_guard late(r.psc_connection("late"));
  EXPECT_FALSE(has_series(r, "late"));
  EXPECT_TRUE(has_series(r, "_overflow"));
  std::string out;
  r.render_prometheus(out);
  for (std::size_t i = 0; i < registry::max_psc_connection_ids; ++i)
    EXPECT_NE(out.find("{psc_connection_id=\"" + std::to_string(i) + "\"}"), std::string::npos)
        << i;
}

}  // namespace
}  // namespace kpp::admin
