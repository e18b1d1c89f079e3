#include "kpp/protocol/api_table.h"

#include <algorithm>
#include <array>

namespace kpp::protocol {
namespace {

// Every API key in the official message definitions (shared/kafka-protocol/message, Kafka
// 4.0 development line), checked entry by entry against the JSON by api_table_test.cpp.
// Columns: key, name, min version, max version, first flexible version (-1: none), action.
// Max versions above the snapshot come from Kafka 4.0/4.1 (see SOURCE.md "Newer than this
// snapshot"); each is marked and the test allows exactly these.
constexpr std::array<api_info, 88> apis{{
    // Extension: Produce v12 (KIP-890, no layout change) and v13 (KIP-516 topic ids) are newer than
    // the JSON snapshot (0-11).
    {0, "Produce", 0, 13, 9, response_action::produce},
    // Extension: Fetch v18 (request-side change only) is newer than the JSON snapshot (0-17).
    {1, "Fetch", 0, 18, 12, response_action::fetch},
    {2, "ListOffsets", 0, 10, 6, response_action::stream},
    // Extension: Metadata v13 (KIP-1102, top-level ErrorCode) is newer than the JSON snapshot
    // (0-12).
    {3, "Metadata", 0, 13, 9, response_action::metadata},
    {4, "LeaderAndIsr", 0, 7, 4, response_action::stream},
    {5, "StopReplica", 0, 4, 2, response_action::stream},
    {6, "UpdateMetadata", 0, 8, 6, response_action::stream},
    {7, "ControlledShutdown", 0, 3, 3, response_action::stream},
    {8, "OffsetCommit", 0, 9, 8, response_action::stream},
    {9, "OffsetFetch", 0, 9, 6, response_action::stream},
    {10, "FindCoordinator", 0, 6, 3, response_action::find_coordinator},
    {11, "JoinGroup", 0, 9, 6, response_action::stream},
    {12, "Heartbeat", 0, 4, 4, response_action::stream},
    {13, "LeaveGroup", 0, 5, 4, response_action::stream},
    {14, "SyncGroup", 0, 5, 4, response_action::stream},
    {15, "DescribeGroups", 0, 5, 5, response_action::stream},
    {16, "ListGroups", 0, 5, 3, response_action::stream},
    {17, "SaslHandshake", 0, 1, -1, response_action::stream},
    {18, "ApiVersions", 0, 4, 3, response_action::api_versions},
    {19, "CreateTopics", 0, 7, 5, response_action::stream},
    {20, "DeleteTopics", 0, 6, 4, response_action::stream},
    {21, "DeleteRecords", 0, 2, 2, response_action::stream},
    {22, "InitProducerId", 0, 5, 2, response_action::stream},
    {23, "OffsetForLeaderEpoch", 0, 4, 4, response_action::stream},
    {24, "AddPartitionsToTxn", 0, 5, 3, response_action::stream},
    {25, "AddOffsetsToTxn", 0, 4, 3, response_action::stream},
    {26, "EndTxn", 0, 5, 3, response_action::stream},
    {27, "WriteTxnMarkers", 0, 1, 1, response_action::stream},
    {28, "TxnOffsetCommit", 0, 4, 3, response_action::stream},
    {29, "DescribeAcls", 0, 3, 2, response_action::stream},
    {30, "CreateAcls", 0, 3, 2, response_action::stream},
    {31, "DeleteAcls", 0, 3, 2, response_action::stream},
    {32, "DescribeConfigs", 0, 4, 4, response_action::stream},
    {33, "AlterConfigs", 0, 2, 2, response_action::stream},
    {34, "AlterReplicaLogDirs", 0, 2, 2, response_action::stream},
    {35, "DescribeLogDirs", 0, 4, 2, response_action::stream},
    {36, "SaslAuthenticate", 0, 2, 2, response_action::stream},
    {37, "CreatePartitions", 0, 3, 2, response_action::stream},
    {38, "CreateDelegationToken", 0, 3, 2, response_action::stream},
    {39, "RenewDelegationToken", 0, 2, 2, response_action::stream},
    {40, "ExpireDelegationToken", 0, 2, 2, response_action::stream},
    {41, "DescribeDelegationToken", 0, 3, 2, response_action::stream},
    {42, "DeleteGroups", 0, 2, 2, response_action::stream},
    {43, "ElectLeaders", 0, 2, 2, response_action::stream},
    {44, "IncrementalAlterConfigs", 0, 1, 1, response_action::stream},
    {45, "AlterPartitionReassignments", 0, 0, 0, response_action::stream},
    {46, "ListPartitionReassignments", 0, 0, 0, response_action::stream},
    {47, "OffsetDelete", 0, 0, -1, response_action::stream},
    {48, "DescribeClientQuotas", 0, 1, 1, response_action::stream},
    {49, "AlterClientQuotas", 0, 1, 1, response_action::stream},
    {50, "DescribeUserScramCredentials", 0, 0, 0, response_action::stream},
    {51, "AlterUserScramCredentials", 0, 0, 0, response_action::stream},
    {52, "Vote", 0, 1, 0, response_action::stream},
    {53, "BeginQuorumEpoch", 0, 1, 1, response_action::stream},
    {54, "EndQuorumEpoch", 0, 1, 1, response_action::stream},
    {55, "DescribeQuorum", 0, 2, 0, response_action::describe_quorum},
    {56, "AlterPartition", 0, 3, 0, response_action::stream},
    {57, "UpdateFeatures", 0, 2, 0, response_action::stream},
    {58, "Envelope", 0, 0, 0, response_action::stream},
    {59, "FetchSnapshot", 0, 1, 0, response_action::stream},
    // Extension: DescribeCluster v2 (KIP-1073, IsFenced) is newer than the JSON snapshot (0-1).
    {60, "DescribeCluster", 0, 2, 0, response_action::describe_cluster},
    {61, "DescribeProducers", 0, 0, 0, response_action::stream},
    {62, "BrokerRegistration", 0, 4, 0, response_action::stream},
    {63, "BrokerHeartbeat", 0, 1, 0, response_action::stream},
    {64, "UnregisterBroker", 0, 0, 0, response_action::stream},
    {65, "DescribeTransactions", 0, 0, 0, response_action::stream},
    {66, "ListTransactions", 0, 1, 0, response_action::stream},
    {67, "AllocateProducerIds", 0, 0, 0, response_action::stream},
    {68, "ConsumerGroupHeartbeat", 0, 1, 0, response_action::stream},
    {69, "ConsumerGroupDescribe", 0, 0, 0, response_action::stream},
    {70, "ControllerRegistration", 0, 0, 0, response_action::stream},
    {71, "GetTelemetrySubscriptions", 0, 0, 0, response_action::stream},
    {72, "PushTelemetry", 0, 0, 0, response_action::stream},
    {73, "AssignReplicasToDirs", 0, 0, 0, response_action::stream},
    {74, "ListClientMetricsResources", 0, 0, 0, response_action::stream},
    {75, "DescribeTopicPartitions", 0, 0, 0, response_action::stream},
    {76, "ShareGroupHeartbeat", 0, 0, 0, response_action::stream},
    {77, "ShareGroupDescribe", 0, 0, 0, response_action::stream},
    {78, "ShareFetch", 0, 0, 0, response_action::share_fetch},
    {79, "ShareAcknowledge", 0, 0, 0, response_action::share_acknowledge},
    {80, "AddRaftVoter", 0, 0, 0, response_action::stream},
    {81, "RemoveRaftVoter", 0, 0, 0, response_action::stream},
    {82, "UpdateRaftVoter", 0, 0, 0, response_action::stream},
    {83, "InitializeShareGroupState", 0, 0, 0, response_action::stream},
    {84, "ReadShareGroupState", 0, 0, 0, response_action::stream},
    {85, "WriteShareGroupState", 0, 0, 0, response_action::stream},
    {86, "DeleteShareGroupState", 0, 0, 0, response_action::stream},
    {87, "ReadShareGroupStateSummary", 0, 0, 0, response_action::stream},
}};

constexpr bool sorted_unique() {
  for (std::size_t i = 1; i < apis.size(); ++i) {
    if (apis[i - 1].key >= apis[i].key) return false;
  }
  return true;
}
static_assert(sorted_unique(), "find_api relies on a table sorted by key");

}  // namespace

std::string_view to_string(response_action a) noexcept {
  switch (a) {
    case response_action::stream:
      return "stream";
    case response_action::api_versions:
      return "api_versions";
    case response_action::metadata:
      return "metadata";
    case response_action::find_coordinator:
      return "find_coordinator";
    case response_action::describe_cluster:
      return "describe_cluster";
    case response_action::produce:
      return "produce";
    case response_action::fetch:
      return "fetch";
    case response_action::share_fetch:
      return "share_fetch";
    case response_action::share_acknowledge:
      return "share_acknowledge";
    case response_action::describe_quorum:
      return "describe_quorum";
  }
  return "unknown";
}

std::span<const api_info> all_apis() noexcept {
  return apis;
}

const api_info* find_api(std::int16_t key) noexcept {
  // Keys are dense today (0..N-1), so the direct index almost always hits; the search keeps
  // find_api right if a gap ever appears.
  if (key >= 0 && static_cast<std::size_t>(key) < apis.size() && apis[key].key == key) {
    return &apis[key];
  }
  const auto* it = std::lower_bound(apis.begin(), apis.end(), key,
                                    [](const api_info& a, std::int16_t k) { return a.key < k; });
  return it != apis.end() && it->key == key ? it : nullptr;
}

bool is_flexible(const api_info& api, std::int16_t version) noexcept {
  return api.first_flexible >= 0 && version >= api.first_flexible;
}

namespace {

// The API for (key, version), or the error that says why there is none.
result<const api_info*> known(std::int16_t key, std::int16_t version) {
  const api_info* api = find_api(key);
  if (api == nullptr) return error{errc::unknown_api_key, 0, "api key"};
  if (version < api->min_version || version > api->max_version) {
    return error{errc::unknown_version, 2, "api version"};
  }
  return api;
}

}  // namespace

result<std::int16_t> request_header_version(std::int16_t key, std::int16_t version) {
  auto api = known(key, version);
  if (!api) return api.error();
  // ControlledShutdown v0 predates the client id (header v0); it is the only such request.
  if (key == api_key::controlled_shutdown && version == 0) return std::int16_t{0};
  return static_cast<std::int16_t>(is_flexible(**api, version) ? 2 : 1);
}

result<std::int16_t> response_header_version(std::int16_t key, std::int16_t version) {
  // KIP-511: ApiVersions responses always use header v0, so a client can read the answer to
  // any ApiVersions version, including one newer than the broker (or this table) knows.
  if (key == api_key::api_versions) return std::int16_t{0};
  auto api = known(key, version);
  if (!api) return api.error();
  return static_cast<std::int16_t>(is_flexible(**api, version) ? 1 : 0);
}

result<response_action> action_for(std::int16_t key, std::int16_t version) {
  // KIP-511: a client may send an ApiVersions version newer than the broker knows; the broker
  // answers v0, which the proxy still edits.
  if (key == api_key::api_versions) return response_action::api_versions;
  auto api = known(key, version);
  if (!api) return api.error();
  const api_info& a = **api;
  switch (key) {
    // KIP-951 NodeEndpoints live in the tagged section, which only flexible versions have;
    // brokers may write it on any flexible version (Produce v9+, Fetch v12+), not only from
    // Produce v10 / Fetch v16.
    case api_key::produce:
    case api_key::fetch:
      return is_flexible(a, version) ? a.action : response_action::stream;
    // DescribeQuorum v0-1 has no Listeners (KIP-853 added them in v2): nothing to rewrite.
    case api_key::describe_quorum:
      return version >= 2 ? a.action : response_action::stream;
    default:
      return a.action;
  }
}

}  // namespace kpp::protocol
