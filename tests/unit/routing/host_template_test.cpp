// Advertised host templates: "{node_id}" is the only placeholder; anything else is refused
// with a message that shows the user a working example.
#include "kpp/routing/host_template.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace kpp::routing {
namespace {

host_template must_parse(const std::string& pattern) {
  std::string why;
  auto t = host_template::parse(pattern, &why);
  EXPECT_TRUE(t.has_value()) << pattern << ": " << why;
  return t.value_or(host_template{});
}

struct render_case {
  const char* pattern;
  std::int32_t node_id;
  const char* want;
  bool has_node_id;
};

class HostTemplateRender : public ::testing::TestWithParam<render_case> {};

TEST_P(HostTemplateRender, Renders) {
  const auto& c = GetParam();
  const auto t = must_parse(c.pattern);
  EXPECT_EQ(t.render(c.node_id), c.want);
  EXPECT_EQ(t.has_node_id(), c.has_node_id);
  EXPECT_EQ(t.pattern(), c.pattern);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostTemplateRender,
    ::testing::Values(render_case{"b{node_id}.abc.us-west1.gcp.3199745.tidbcloud.com", 7,
                                  "b7.abc.us-west1.gcp.3199745.tidbcloud.com", true},
                      render_case{"b{node_id}.example.com", 0, "b0.example.com", true},
                      render_case{"b{node_id}.example.com", INT_MAX, "b2147483647.example.com",
                                  true},
                      render_case{"{node_id}", 12, "12", true},
                      render_case{"{node_id}-{node_id}.x", 3, "3-3.x", true},  // every occurrence
                      render_case{"kafka.example.com", 5, "kafka.example.com", false},
                      render_case{"127.0.0.1", 5, "127.0.0.1", false},
                      render_case{"::1", 5, "::1", false},
                      render_case{"under_score.example", 1, "under_score.example", false}));

struct refuse_case {
  const char* pattern;
  const char* says;  // a piece of the explanation the user must see
};

class HostTemplateRefuse : public ::testing::TestWithParam<refuse_case> {};

TEST_P(HostTemplateRefuse, RefusesWithAReason) {
  const auto& c = GetParam();
  std::string why;
  EXPECT_FALSE(host_template::parse(c.pattern, &why).has_value()) << c.pattern;
  EXPECT_NE(why.find(c.says), std::string::npos) << c.pattern << ": " << why;
  // A refusal without a pointer to the working syntax leaves the user guessing.
  if (std::string(c.pattern).find('{') != std::string::npos ||
      std::string(c.pattern).find('}') != std::string::npos || *c.pattern == '\0') {
    EXPECT_NE(why.find("{node_id}"), std::string::npos) << why;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, HostTemplateRefuse,
                         ::testing::Values(refuse_case{"", "empty"},
                                           refuse_case{"b{nodeid}.x", "{nodeid}"},
                                           refuse_case{"b{{.brokerId}}.x", "unknown placeholder"},
                                           refuse_case{"b{node_id.x", "unknown placeholder"},
                                           refuse_case{"b}.x", "unbalanced"},
                                           refuse_case{"b{node_id}}.x", "unbalanced"},
                                           refuse_case{"b x", "' '"}, refuse_case{"b/x", "'/'"},
                                           refuse_case{"http://b", "'/'"}));

TEST(HostTemplateParse, NullWhyIsAllowed) {
  EXPECT_FALSE(host_template::parse("{bad}", nullptr).has_value());
  EXPECT_TRUE(host_template::parse("ok.example", nullptr).has_value());
}

}  // namespace
}  // namespace kpp::routing
