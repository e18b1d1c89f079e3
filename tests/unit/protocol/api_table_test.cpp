// The checked-in API table against every official message definition, and the rules built
// on it: header versions and the response action for each (key, version).
#include "kpp/protocol/api_table.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace kpp::protocol {
namespace {

struct spec {
  std::string name;  // without the Request/Response suffix
  int min_version = 0;
  int max_version = 0;
  int first_flexible = -1;
};

// "0-11" or "0"
std::pair<int, int> parse_range(const std::string& s) {
  const auto dash = s.find('-');
  if (dash == std::string::npos) return {std::stoi(s), std::stoi(s)};
  return {std::stoi(s.substr(0, dash)), std::stoi(s.substr(dash + 1))};
}

// "9+" or "none"
int parse_flexible(const std::string& s) {
  if (s == "none") return -1;
  EXPECT_EQ(s.back(), '+') << s;
  return std::stoi(s.substr(0, s.size() - 1));
}

// The message definitions are JSON with whole-line `//` comments; yaml-cpp reads JSON once
// the comments are gone.
YAML::Node load_json(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::ostringstream text;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 2, "//") == 0) continue;
    text << line << '\n';
  }
  return YAML::Load(text.str());
}

// key -> spec, per message type ("request" / "response").
std::map<std::string, std::map<int, spec>> load_specs() {
  std::map<std::string, std::map<int, spec>> out;
  for (const auto& entry : std::filesystem::directory_iterator{KPP_PROTOCOL_DIR}) {
    const std::string file = entry.path().filename().string();
    const bool request = file.ends_with("Request.json");
    const bool response = file.ends_with("Response.json");
    if (!request && !response) continue;
    const YAML::Node doc = load_json(entry.path());
    if (!doc["apiKey"]) continue;  // RequestHeader / ResponseHeader
    const std::string type = doc["type"].as<std::string>();
    EXPECT_EQ(type, request ? "request" : "response") << file;
    std::string name = doc["name"].as<std::string>();
    const std::string suffix = request ? "Request" : "Response";
    EXPECT_TRUE(name.ends_with(suffix)) << file;
    name.resize(name.size() - suffix.size());
    const auto [lo, hi] = parse_range(doc["validVersions"].as<std::string>());
    const int key = doc["apiKey"].as<int>();
    EXPECT_FALSE(out[type].contains(key)) << "duplicate key " << key << " in " << file;
    out[type][key] = spec{name, lo, hi, parse_flexible(doc["flexibleVersions"].as<std::string>())};
  }
  return out;
}

// Versions newer than the JSON snapshot that the proxy's codecs handle (SOURCE.md, "Newer
// than this snapshot"): Metadata v13 (KIP-1102), DescribeCluster v2 (KIP-1073), Produce
// v12-13, Fetch v18.
const std::map<int, int> extended_max = {{3, 13}, {60, 2}, {0, 13}, {1, 18}};

TEST(ApiTable, MatchesEveryMessageDefinition) {
  const auto specs = load_specs();
  ASSERT_TRUE(specs.contains("request"));
  ASSERT_TRUE(specs.contains("response"));
  const auto& requests = specs.at("request");
  const auto& responses = specs.at("response");
  ASSERT_GT(requests.size(), 80u);  // the snapshot has 88 APIs; a broken glob must not pass

  // Requests and responses agree with each other.
  ASSERT_EQ(requests.size(), responses.size());
  for (const auto& [key, req] : requests) {
    ASSERT_TRUE(responses.contains(key)) << key;
    const spec& resp = responses.at(key);
    EXPECT_EQ(req.name, resp.name) << key;
    EXPECT_EQ(req.min_version, resp.min_version) << key;
    EXPECT_EQ(req.max_version, resp.max_version) << key;
    EXPECT_EQ(req.first_flexible, resp.first_flexible) << key;
  }

  // Every JSON key is in the table with the same data, and nothing else is.
  std::set<int> table_keys;
  for (const api_info& api : all_apis()) table_keys.insert(api.key);
  std::set<int> json_keys;
  for (const auto& [key, s] : requests) json_keys.insert(key);
  EXPECT_EQ(table_keys, json_keys);
  EXPECT_EQ(all_apis().size(), requests.size());

  for (const auto& [key, s] : requests) {
    SCOPED_TRACE(s.name);
    const api_info* api = find_api(static_cast<std::int16_t>(key));
    ASSERT_NE(api, nullptr) << "key " << key << " missing from the table";
    EXPECT_EQ(api->key, key);
    EXPECT_EQ(api->name, s.name);
    EXPECT_EQ(api->min_version, s.min_version);
    EXPECT_EQ(api->first_flexible, s.first_flexible);
    const auto ext = extended_max.find(key);
    if (ext != extended_max.end()) {
      // An extension only ever adds versions on top of the snapshot.
      EXPECT_GT(ext->second, s.max_version);
      EXPECT_EQ(api->max_version, ext->second);
    } else {
      EXPECT_EQ(api->max_version, s.max_version);
    }
  }
}

TEST(ApiTable, SortedByKeyAndLookupWorks) {
  const auto apis = all_apis();
  for (std::size_t i = 1; i < apis.size(); ++i) EXPECT_LT(apis[i - 1].key, apis[i].key);
  EXPECT_EQ(find_api(-1), nullptr);
  EXPECT_EQ(find_api(10000), nullptr);
  EXPECT_EQ(find_api(static_cast<std::int16_t>(apis.back().key + 1)), nullptr);
  ASSERT_NE(find_api(api_key::metadata), nullptr);
  EXPECT_EQ(find_api(api_key::metadata)->name, "Metadata");
}

TEST(ApiTable, OnlyTheAddressCarryingApisHaveAnAction) {
  const std::map<int, response_action> expected = {
      {18, response_action::api_versions},     {3, response_action::metadata},
      {10, response_action::find_coordinator}, {60, response_action::describe_cluster},
      {0, response_action::produce},           {1, response_action::fetch},
      {78, response_action::share_fetch},      {79, response_action::share_acknowledge},
      {55, response_action::describe_quorum},
  };
  for (const api_info& api : all_apis()) {
    const auto it = expected.find(api.key);
    const auto want = it == expected.end() ? response_action::stream : it->second;
    EXPECT_EQ(api.action, want) << api.name;
  }
}

struct action_case {
  std::int16_t key;
  std::int16_t version;
  response_action action;
};

TEST(ApiTable, ActionForVersionBoundaries) {
  const std::vector<action_case> cases = {
      {0, 0, response_action::stream},  // Produce before flexible versions: no tagged fields
      {0, 8, response_action::stream},
      {0, 9, response_action::produce},  // first flexible version (KIP-951 fields seen here)
      {0, 11, response_action::produce},
      {0, 13, response_action::produce},  // beyond the snapshot (KIP-516 topic ids)
      {1, 11, response_action::stream},
      {1, 12, response_action::fetch},
      {1, 18, response_action::fetch},
      {3, 0, response_action::metadata},
      {3, 13, response_action::metadata},  // KIP-1102
      {10, 0, response_action::find_coordinator},
      {10, 6, response_action::find_coordinator},
      {60, 0, response_action::describe_cluster},
      {60, 2, response_action::describe_cluster},  // KIP-1073
      {55, 0, response_action::stream},            // no Listeners before v2
      {55, 1, response_action::stream},
      {55, 2, response_action::describe_quorum},
      {78, 0, response_action::share_fetch},
      {79, 0, response_action::share_acknowledge},
      {18, 0, response_action::api_versions},
      {18, 4, response_action::api_versions},
      {18, 99, response_action::api_versions},  // KIP-511: newer than anyone knows
      {18, -1, response_action::api_versions},
      {19, 7, response_action::stream},  // CreateTopics
      {17, 1, response_action::stream},  // SaslHandshake
  };
  for (const auto& c : cases) {
    const auto a = action_for(c.key, c.version);
    ASSERT_TRUE(a.has_value()) << c.key << " v" << c.version << ": " << a.error().describe();
    EXPECT_EQ(*a, c.action) << c.key << " v" << c.version << " got " << to_string(*a);
  }
}

TEST(ApiTable, ActionForUnknownFailsClosed) {
  const auto unknown_key = action_for(9999, 0);
  ASSERT_FALSE(unknown_key.has_value());
  EXPECT_EQ(unknown_key.error().code, errc::unknown_api_key);
  EXPECT_FALSE(action_for(-1, 0).has_value());
  for (const auto& [key, version] : std::vector<std::pair<std::int16_t, std::int16_t>>{
           {3, 14}, {60, 3}, {0, 14}, {1, 19}, {10, 7}, {55, 3}, {78, 1}, {3, -1}, {19, 8}}) {
    const auto a = action_for(key, version);
    ASSERT_FALSE(a.has_value()) << key << " v" << version;
    EXPECT_EQ(a.error().code, errc::unknown_version) << key << " v" << version;
  }
}

TEST(ApiTable, RequestHeaderVersions) {
  const std::vector<std::tuple<std::int16_t, std::int16_t, std::int16_t>> cases = {
      {7, 0, 0},  // ControlledShutdown v0: header v0, no client id
      {7, 1, 1},  {7, 3, 2},  {0, 8, 1},  {0, 9, 2},  {3, 8, 1}, {3, 9, 2},
      {3, 13, 2}, {18, 2, 1}, {18, 3, 2}, {17, 1, 1},  // SaslHandshake is never flexible
      {60, 0, 2}, {47, 0, 1},                          // OffsetDelete: never flexible
  };
  for (const auto& [key, version, want] : cases) {
    const auto v = request_header_version(key, version);
    ASSERT_TRUE(v.has_value()) << key << " v" << version;
    EXPECT_EQ(*v, want) << key << " v" << version;
  }
  EXPECT_EQ(request_header_version(9999, 0).error().code, errc::unknown_api_key);
  EXPECT_EQ(request_header_version(3, 14).error().code, errc::unknown_version);
  EXPECT_EQ(request_header_version(18, 5).error().code, errc::unknown_version);
}

TEST(ApiTable, ResponseHeaderVersions) {
  const std::vector<std::tuple<std::int16_t, std::int16_t, std::int16_t>> cases = {
      {18, 0, 0}, {18, 3, 0}, {18, 4, 0}, {18, 77, 0},  // ApiVersions: always v0 (KIP-511)
      {0, 8, 0},  {0, 9, 1},  {1, 11, 0}, {1, 12, 1},  {3, 13, 1},
      {7, 0, 0},  {7, 3, 1},  {17, 1, 0}, {60, 0, 1},
  };
  for (const auto& [key, version, want] : cases) {
    const auto v = response_header_version(key, version);
    ASSERT_TRUE(v.has_value()) << key << " v" << version;
    EXPECT_EQ(*v, want) << key << " v" << version;
  }
  EXPECT_EQ(response_header_version(9999, 0).error().code, errc::unknown_api_key);
  EXPECT_EQ(response_header_version(1, 19).error().code, errc::unknown_version);
}

TEST(ApiTable, IsFlexible) {
  const api_info* sasl = find_api(api_key::sasl_handshake);
  ASSERT_NE(sasl, nullptr);
  EXPECT_FALSE(is_flexible(*sasl, 0));
  EXPECT_FALSE(is_flexible(*sasl, 1));
  const api_info* metadata = find_api(api_key::metadata);
  ASSERT_NE(metadata, nullptr);
  EXPECT_FALSE(is_flexible(*metadata, 8));
  EXPECT_TRUE(is_flexible(*metadata, 9));
}

TEST(ApiTable, ActionNames) {
  EXPECT_EQ(to_string(response_action::stream), "stream");
  EXPECT_EQ(to_string(response_action::describe_quorum), "describe_quorum");
}

}  // namespace
}  // namespace kpp::protocol
