// Raw Kafka requests through the proxy to a kfake cluster (Kafka 4.x protocol): every
// address-carrying response the proxy lets through, at the versions a current broker serves,
// decoded here and checked for proxy addresses only. Request bodies are written by hand from
// shared/kafka-protocol/message/*Request.json; responses are decoded with kpp::protocol
// codecs (the proxy's own decoders cannot hide a leak: the checks compare ports).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/describe_cluster_response.h"
#include "kpp/protocol/fetch_response.h"
#include "kpp/protocol/fetch_response_tail.h"
#include "kpp/protocol/find_coordinator_response.h"
#include "kpp/protocol/metadata_response.h"
#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/produce_response.h"
#include "kpp/protocol/response_header.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"
#include "kpp/routing/fetch_reserve.h"
#include "support/kafka_clients.h"
#include "support/kfake.h"
#include "support/metrics_scrape.h"
#include "support/poll.h"
#include "support/ports.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
namespace kp = kpp::protocol;
using kpp::test::kfake_cluster;
using kpp::test::kfake_options;
using kpp::test::kfake_proxy;
using kpp::test::proxy_mode;
using kpp::test::raw_client;

namespace {

constexpr std::int16_t not_leader_or_follower = 6;

kpp::test::bytes to_u8(const kp::byte_buffer& b) {
  kpp::test::bytes out(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) out[i] = static_cast<std::uint8_t>(b[i]);
  return out;
}
kp::bytes_view view(const kpp::test::bytes& b) {
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

// One request, one response body (after the response header), or nullopt.
std::optional<kpp::test::bytes> call(raw_client& c, std::int16_t key, std::int16_t version,
                                     const kp::byte_buffer& body) {
  static std::int32_t correlation = 100;
  const auto id = ++correlation;
  const bool flexible_req = kp::request_header_version(key, version).value() == 2;
  const auto frame = flexible_req ? kpp::test::request_frame_v2(key, version, id, to_u8(body))
                                  : kpp::test::request_frame(key, version, id, to_u8(body));
  if (!c.send(frame)) return std::nullopt;
  auto payload = c.read_frame(10s);
  if (!payload) return std::nullopt;
  const auto hv = kp::response_header_version(key, version).value();
  auto header = kp::decode_response_header(view(*payload), hv);
  if (!header || header->correlation_id != id) return std::nullopt;
  return kpp::test::bytes(payload->begin() + static_cast<std::ptrdiff_t>(header->size),
                          payload->end());
}

void skip_tags(kp::wire_reader& r) {
  const auto n = r.uvarint("tags");
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    r.uvarint("tag");
    r.skip(r.uvarint("tag size"), "tag data");
  }
}

// --- request bodies (from the *Request.json definitions) -------------------------------

kp::byte_buffer metadata_request(std::int16_t v) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  if (v == 0) {
    w.i32(0);  // Topics: empty = all (null only from v1)
    return b;
  }
  w.array_length(std::nullopt, v >= 9);     // Topics: null = all
  if (v >= 4) w.boolean(false);             // AllowAutoTopicCreation
  if (v >= 8 && v <= 10) w.boolean(false);  // IncludeClusterAuthorizedOperations
  if (v >= 8) w.boolean(false);             // IncludeTopicAuthorizedOperations
  if (v >= 9) w.uvarint(0);                 // tagged fields
  return b;
}

kp::byte_buffer api_versions_request(std::int16_t v) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  if (v >= 3) {
    w.string("kpp-it", true);  // ClientSoftwareName
    w.string("0.1", true);     // ClientSoftwareVersion
    w.uvarint(0);
  }
  return b;
}

kp::byte_buffer describe_cluster_request(std::int16_t v, std::int8_t endpoint_type = 1) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  w.boolean(false);                 // IncludeClusterAuthorizedOperations
  if (v >= 1) w.i8(endpoint_type);  // EndpointType
  if (v >= 2) w.boolean(false);     // IncludeFencedBrokers (KIP-1073)
  w.uvarint(0);
  return b;
}

kp::byte_buffer find_coordinator_request(std::int16_t v, const std::vector<std::string>& keys) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  const bool flexible = v >= 3;
  if (v <= 3) {
    w.string(keys.at(0), flexible);  // Key
    if (v >= 1) w.i8(0);             // KeyType: group
  } else {
    w.i8(0);  // KeyType
    w.array_length(static_cast<std::uint32_t>(keys.size()), true);
    for (const auto& k : keys) w.string(k, true);  // CoordinatorKeys
  }
  if (flexible) w.uvarint(0);
  return b;
}

// CRC-32C (Castagnoli), the record batch checksum.
std::uint32_t crc32c(const std::byte* p, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i)
    crc = table[(crc ^ static_cast<std::uint8_t>(p[i])) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// A valid v2 record batch with one record (no key), so a broker that validates batches
// before checking leadership still gets to the leadership check.
kp::byte_buffer record_batch(const std::string& value) {
  kp::byte_buffer record;
  {
    kp::wire_writer r(record);
    r.i8(0);       // attributes
    r.varlong(0);  // timestampDelta
    r.varint(0);   // offsetDelta
    r.varint(-1);  // key: null
    r.varint(static_cast<std::int32_t>(value.size()));
    r.raw(kp::as_bytes(value));
    r.varint(0);  // headers
  }
  kp::byte_buffer after_crc;  // attributes .. records, what the CRC covers
  {
    kp::wire_writer a(after_crc);
    a.i16(0);              // attributes
    a.i32(0);              // lastOffsetDelta
    a.i64(1700000000000);  // baseTimestamp
    a.i64(1700000000000);  // maxTimestamp
    a.i64(-1);             // producerId
    a.i16(-1);             // producerEpoch
    a.i32(-1);             // baseSequence
    a.i32(1);              // records count
    a.varint(static_cast<std::int32_t>(record.size()));
    a.raw(record);
  }
  kp::byte_buffer batch;
  kp::wire_writer w(batch);
  w.i64(0);                                                        // baseOffset
  w.i32(static_cast<std::int32_t>(4 + 1 + 4 + after_crc.size()));  // batchLength
  w.i32(-1);                                                       // partitionLeaderEpoch
  w.i8(2);                                                         // magic
  w.u32(crc32c(after_crc.data(), after_crc.size()));               // crc
  w.raw(after_crc);
  return batch;
}

struct topic_info {
  std::string name;
  kp::uuid id{};
  std::map<int, int> leaders;  // partition -> leader id
};

kp::byte_buffer produce_request(std::int16_t v, const topic_info& t, int partition) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  w.nullable_string(std::nullopt, true);  // TransactionalId
  w.i16(-1);                              // Acks: all
  w.i32(5000);                            // TimeoutMs
  w.array_length(1, true);                // TopicData
  if (v >= 13) {
    w.write_uuid(t.id);  // TopicId (KIP-516)
  } else {
    w.string(t.name, true);  // Name
  }
  w.array_length(1, true);  // PartitionData
  w.i32(partition);         // Index
  const auto batch = record_batch("kip-951 probe");
  w.nullable_bytes(kp::bytes_view(batch), true);  // Records
  w.uvarint(0);                                   // partition tags
  w.uvarint(0);                                   // topic tags
  w.uvarint(0);                                   // top-level tags
  return b;
}

kp::byte_buffer fetch_request(std::int16_t v, const topic_info& t, int partition,
                              std::int32_t max_bytes = 1 << 20) {
  kp::byte_buffer b;
  kp::wire_writer w(b);
  if (v <= 14) w.i32(-1);   // ReplicaId (a consumer)
  w.i32(0);                 // MaxWaitMs: answer at once
  w.i32(1);                 // MinBytes
  w.i32(max_bytes);         // MaxBytes
  w.i8(0);                  // IsolationLevel
  w.i32(0);                 // SessionId
  w.i32(-1);                // SessionEpoch: full fetch, no session
  w.array_length(1, true);  // Topics
  w.write_uuid(t.id);       // TopicId (v13+)
  w.array_length(1, true);  // Partitions
  w.i32(partition);         // Partition
  w.i32(-1);                // CurrentLeaderEpoch: unknown, no fencing
  w.i64(0);                 // FetchOffset
  w.i32(-1);                // LastFetchedEpoch
  w.i64(-1);                // LogStartOffset
  w.i32(max_bytes);         // PartitionMaxBytes
  w.uvarint(0);             // partition tags
  w.uvarint(0);             // topic tags
  w.array_length(0, true);  // ForgottenTopicsData
  w.string("", true);       // RackId
  w.uvarint(0);             // top-level tags
  return b;
}

// --- response walks the codecs do not expose --------------------------------------------

// Metadata v10+ topics: name, id and partition leaders.
std::vector<topic_info> metadata_topics(kp::bytes_view topics, std::int16_t v) {
  std::vector<topic_info> out;
  kp::wire_reader r(topics);
  const auto n = r.array_length(true, 1, "topics").value_or(0);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    topic_info t;
    r.i16("error");
    t.name = std::string(r.nullable_string(true, "name").value_or(""));
    t.id = r.read_uuid("id");
    r.boolean("internal");
    const auto parts = r.array_length(true, 1, "partitions").value_or(0);
    for (std::uint32_t p = 0; p < parts && r.ok(); ++p) {
      r.i16("error");
      const auto index = r.i32("index");
      t.leaders[index] = r.i32("leader");
      r.i32("epoch");
      for (int arr = 0; arr < 3; ++arr) {  // replicas, isr, offline
        const auto m = r.array_length(true, 4, "ids").value_or(0);
        r.skip(4u * m, "ids");
      }
      skip_tags(r);
    }
    if (v >= 8) r.i32("topic authorized operations");
    skip_tags(r);
    out.push_back(std::move(t));
  }
  EXPECT_TRUE(r.ok()) << r.err().describe();
  return out;
}

// The partition-level (ErrorCode, CurrentLeader.LeaderId or -1) of a one-partition answer.
struct partition_answer {
  std::int16_t error = -1;
  std::int32_t current_leader = -1;
};

std::int32_t read_current_leader(kp::wire_reader& r, std::uint32_t want_tag) {
  std::int32_t leader = -1;
  const auto n = r.uvarint("tags");
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    const auto tag = r.uvarint("tag");
    const auto size = r.uvarint("size");
    if (tag == want_tag) {
      const auto start = r.offset();
      leader = r.i32("leader id");
      r.skip(size - (r.offset() - start), "rest of CurrentLeader");
    } else {
      r.skip(size, "tag");
    }
  }
  return leader;
}

partition_answer produce_partition(kp::bytes_view body, std::int16_t v) {
  kp::wire_reader r(body);
  partition_answer a;
  r.array_length(true, 1, "responses");
  if (v >= 13) {
    r.read_uuid("topic id");
  } else {
    r.string(true, "name");
  }
  r.array_length(true, 1, "partitions");
  r.i32("index");
  a.error = r.i16("error");
  r.i64("base offset");
  r.i64("log append time");
  r.i64("log start offset");
  const auto errs = r.array_length(true, 1, "record errors").value_or(0);
  for (std::uint32_t i = 0; i < errs && r.ok(); ++i) {
    r.i32("batch index");
    r.nullable_string(true, "message");
    skip_tags(r);
  }
  r.nullable_string(true, "error message");
  a.current_leader = read_current_leader(r, 0);  // Produce: CurrentLeader is tag 0
  EXPECT_TRUE(r.ok()) << r.err().describe();
  return a;
}

partition_answer fetch_partition(kp::bytes_view body) {
  kp::wire_reader r(body);
  partition_answer a;
  r.i32("throttle");
  r.i16("error");
  r.i32("session");
  r.array_length(true, 1, "responses");
  r.read_uuid("topic id");
  r.array_length(true, 1, "partitions");
  r.i32("index");
  a.error = r.i16("error");
  r.i64("high watermark");
  r.i64("last stable offset");
  r.i64("log start offset");
  const auto aborted = r.array_length(true, 1, "aborted", true).value_or(0);
  r.skip(aborted * 17u, "aborted");  // two int64 and an empty tag section each
  r.i32("preferred read replica");
  r.nullable_bytes(true, "records");
  a.current_leader = read_current_leader(r, 1);  // Fetch: CurrentLeader is tag 1
  EXPECT_TRUE(r.ok()) << r.err().describe();
  return a;
}

// --- the fixture -------------------------------------------------------------------------

class KfakeRawProtocol : public ::testing::TestWithParam<proxy_mode> {
 protected:
  void SetUp() override { KPP_REQUIRE_KFAKE(); }
  void TearDown() override {
    if (proxy_) {
      EXPECT_EQ(proxy_->process.stop(), 0) << proxy_->process.output();
    }
    if (cluster_) {
      cluster_->stop();
      std::printf("[%s] %s", to_string(GetParam()), cluster_->request_summary().c_str());
    }
  }
  void start(kfake_options opts = {}) {
    cluster_.emplace(std::move(opts));
    ASSERT_TRUE(cluster_->ok()) << cluster_->output();
    proxy_.emplace(kpp::test::start_proxy(*cluster_, GetParam()));
    ASSERT_TRUE(proxy_->process.running()) << proxy_->process.output();
  }
  // A host:port a client was told: must be the proxy's, never kfake's.
  void expect_proxy_address(std::string_view host, int port, const std::string& where) {
    EXPECT_EQ(host, "127.0.0.1") << where;
    EXPECT_TRUE(proxy_->is_proxy_port(port)) << where << ": port " << port;
    EXPECT_FALSE(cluster_->is_broker_port(port))
        << where << ": real broker port " << port << " leaked";
  }
  // Metadata at `v` through `port`: broker id -> advertised port, checking every address.
  std::map<int, int> metadata_brokers(std::uint16_t port, std::int16_t v,
                                      std::vector<topic_info>* topics = nullptr) {
    std::map<int, int> brokers;
    raw_client c(port);
    EXPECT_TRUE(c.connected());
    auto body = call(c, 3, v, metadata_request(v));
    if (!body) {
      ADD_FAILURE() << "no Metadata v" << v << " answer";
      return brokers;
    }
    auto md = kp::decode_metadata_response(view(*body), v);
    if (!md) {
      ADD_FAILURE() << "Metadata v" << v << ": " << md.error().describe();
      return brokers;
    }
    for (const auto& b : md->brokers) {
      expect_proxy_address(
          b.host, b.port,
          "Metadata v" + std::to_string(v) + " broker " + std::to_string(b.node_id));
      brokers[b.node_id] = b.port;
    }
    if (topics) *topics = metadata_topics(md->topics, v);
    return brokers;
  }

  std::optional<kfake_cluster> cluster_;
  std::optional<kfake_proxy> proxy_;
};

// Metadata v0..v13 (v13: KIP-1102's top-level ErrorCode): three brokers, all proxy addresses.
TEST_P(KfakeRawProtocol, MetadataEveryVersionListsOnlyProxyAddresses) {
  start();
  for (std::int16_t v = 0; v <= 13; ++v) {
    const auto brokers = metadata_brokers(proxy_->bootstrap_port, v);
    EXPECT_EQ(brokers.size(), 3u) << "Metadata v" << v;
  }
}

// ApiVersions v3 and v4 through the proxy against kfake directly: address-carrying APIs
// never above what the proxy can rewrite, keys the proxy does not know absent, the rest as
// kfake serves them.
TEST_P(KfakeRawProtocol, ApiVersionsCappedEndToEnd) {
  start();
  for (std::int16_t v : {3, 4}) {
    raw_client via(proxy_->bootstrap_port), direct(cluster_->port(0));
    auto pb = call(via, 18, v, api_versions_request(v));
    auto db = call(direct, 18, v, api_versions_request(v));
    ASSERT_TRUE(pb && db) << "ApiVersions v" << v;
    auto proxied = kp::decode_api_versions_response_any(view(*pb), v);
    auto real = kp::decode_api_versions_response_any(view(*db), v);
    ASSERT_TRUE(proxied && real);
    ASSERT_EQ(proxied->response.error_code, 0);
    std::map<int, std::pair<int, int>> theirs;
    for (const auto& k : real->response.api_keys)
      theirs[k.api_key] = {k.min_version, k.max_version};
    std::map<int, std::pair<int, int>> ours;
    for (const auto& k : proxied->response.api_keys) {
      ours[k.api_key] = {k.min_version, k.max_version};
      const auto* api = kp::find_api(k.api_key);
      ASSERT_NE(api, nullptr) << "unknown api key " << k.api_key << " offered to clients";
      ASSERT_TRUE(theirs.count(k.api_key)) << "proxy invented key " << k.api_key;
      EXPECT_LE(k.max_version, theirs[k.api_key].second)
          << "raised above the broker: " << api->name;
      if (api->action != kp::response_action::stream) {
        EXPECT_LE(k.max_version, api->max_version) << api->name << " offered above the proxy's cap";
        for (std::int16_t x = k.min_version; x <= k.max_version; ++x)
          EXPECT_TRUE(kp::action_for(k.api_key, x))
              << api->name << " v" << x << " offered, not rewritable";
      } else {
        EXPECT_EQ(ours[k.api_key], theirs[k.api_key])
            << api->name << " changed though it carries no address";
      }
    }
    std::printf("[%s] ApiVersions v%d: kfake %zu keys, through the proxy %zu keys\n",
                to_string(GetParam()), v, theirs.size(), ours.size());
    for (const auto& [key, range] : theirs) {
      const auto* api = kp::find_api(static_cast<std::int16_t>(key));
      const auto it = ours.find(key);
      if (it == ours.end()) {
        EXPECT_TRUE(api == nullptr || api->action != kp::response_action::stream)
            << "known non-address API " << key << " dropped";
        std::printf("  key %d (%s) v%d-%d: dropped\n", key,
                    api ? std::string(api->name).c_str() : "unknown", range.first, range.second);
      } else if (it->second != range) {
        std::printf("  key %d (%s) v%d-%d -> v%d-%d\n", key, std::string(api->name).c_str(),
                    range.first, range.second, it->second.first, it->second.second);
      } else if (api && api->action != kp::response_action::stream) {
        std::printf("  key %d (%s) v%d-%d unchanged (within the cap)\n", key,
                    std::string(api->name).c_str(), range.first, range.second);
      }
    }
  }
}

// DescribeCluster v0, v1 (brokers) and v2 (KIP-1073), the broker list rewritten.
TEST_P(KfakeRawProtocol, DescribeClusterEveryVersion) {
  start();
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12);
  for (std::int16_t v = 0; v <= 2; ++v) {
    raw_client c(proxy_->bootstrap_port);
    auto body = call(c, 60, v, describe_cluster_request(v));
    ASSERT_TRUE(body) << "no DescribeCluster v" << v << " answer";
    auto dc = kp::decode_describe_cluster_response(view(*body), v);
    ASSERT_TRUE(dc) << dc.error().describe();
    EXPECT_EQ(dc->error_code, 0);
    EXPECT_EQ(dc->brokers.size(), 3u);
    for (const auto& b : dc->brokers) {
      expect_proxy_address(b.host, b.port, "DescribeCluster v" + std::to_string(v));
      EXPECT_EQ(b.port, brokers.at(b.broker_id))
          << "DescribeCluster and Metadata disagree on broker " << b.broker_id;
    }
  }
}

// FindCoordinator v0-v3 (one key) and v4-v6 (KIP-699 batched keys).
TEST_P(KfakeRawProtocol, FindCoordinatorSingleAndBatched) {
  start();
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12);
  const std::vector<std::string> keys = {"group-a", "group-b", "group-c", "group-d"};
  for (std::int16_t v = 0; v <= 6; ++v) {
    raw_client c(proxy_->bootstrap_port);
    auto body = call(c, 10, v, find_coordinator_request(v, keys));
    ASSERT_TRUE(body) << "no FindCoordinator v" << v << " answer";
    auto fc = kp::decode_find_coordinator_response(view(*body), v);
    ASSERT_TRUE(fc) << fc.error().describe();
    const std::string where = "FindCoordinator v" + std::to_string(v);
    if (v < 4) {
      EXPECT_EQ(fc->error_code, 0) << where;
      expect_proxy_address(fc->host, fc->port, where);
      EXPECT_EQ(fc->port, brokers.at(fc->node_id)) << where;
      continue;
    }
    ASSERT_EQ(fc->coordinators.size(), keys.size()) << where;
    for (const auto& e : fc->coordinators) {
      EXPECT_EQ(e.error_code, 0) << where << " key " << e.key;
      expect_proxy_address(e.host, e.port, where + " key " + std::string(e.key));
      EXPECT_EQ(e.port, brokers.at(e.node_id)) << where;
    }
  }
}

// KIP-951: Produce and Fetch sent to a broker that does not lead the partition, through
// that broker's proxy listener. kfake answers NOT_LEADER_OR_FOLLOWER with CurrentLeader and
// NodeEndpoints: every endpoint must be the proxy's address of that node.
TEST_P(KfakeRawProtocol, NotLeaderNodeEndpointsRewritten) {
  kfake_options opts;
  opts.topics = "kip951";
  start(opts);
  std::vector<topic_info> topics;
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12, &topics);
  const topic_info* t = nullptr;
  for (const auto& x : topics)
    if (x.name == "kip951") t = &x;
  ASSERT_NE(t, nullptr);
  const int leader = t->leaders.at(0);
  const int wrong = (leader + 1) % 3;
  std::printf("[%s] kip951 partition 0: leader %d, asking node %d on proxy port %d\n",
              to_string(GetParam()), leader, wrong, brokers.at(wrong));

  const auto check_endpoints = [&](const std::optional<kp::bytes_view>& array,
                                   const std::string& where, bool through_proxy) {
    ASSERT_TRUE(array.has_value()) << where << ": no NodeEndpoints";
    auto eps = kp::decode_node_endpoints(*array);
    ASSERT_TRUE(eps) << where << ": " << eps.error().describe();
    ASSERT_FALSE(eps->empty()) << where;
    bool has_leader = false;
    for (const auto& e : *eps) {
      has_leader = has_leader || e.node_id == leader;
      std::printf("[%s]   %s NodeEndpoint node %d %.*s:%d\n", to_string(GetParam()), where.c_str(),
                  e.node_id, static_cast<int>(e.host.size()), e.host.data(), e.port);
      if (through_proxy) {
        expect_proxy_address(e.host, e.port, where);
        EXPECT_EQ(e.port, brokers.at(e.node_id)) << where << " node " << e.node_id;
      } else {
        EXPECT_EQ(e.port, cluster_->port(e.node_id))
            << "control: kfake itself hands out its own address";
      }
    }
    EXPECT_TRUE(has_leader) << where << ": the leader's endpoint is missing";
  };

  for (std::int16_t v : {9, 10, 11, 12, 13}) {
    const std::string where = "Produce v" + std::to_string(v);
    raw_client c(static_cast<std::uint16_t>(brokers.at(wrong)));
    auto body = call(c, 0, v, produce_request(v, *t, 0));
    ASSERT_TRUE(body) << where << ": no answer";
    const auto p = produce_partition(view(*body), v);
    EXPECT_EQ(p.error, not_leader_or_follower) << where;
    EXPECT_EQ(p.current_leader, leader) << where;
    auto scan = kp::scan_produce_response(view(*body), v);
    ASSERT_TRUE(scan) << scan.error().describe();
    check_endpoints(scan->tags.node_endpoints, where, true);
  }
  for (std::int16_t v : {13, 15, 16, 17, 18}) {
    const std::string where = "Fetch v" + std::to_string(v);
    raw_client c(static_cast<std::uint16_t>(brokers.at(wrong)));
    auto body = call(c, 1, v, fetch_request(v, *t, 0));
    ASSERT_TRUE(body) << where << ": no answer";
    const auto p = fetch_partition(view(*body));
    EXPECT_EQ(p.error, not_leader_or_follower) << where;
    EXPECT_EQ(p.current_leader, leader) << where;
    auto scan = kp::scan_fetch_response(view(*body), v);
    ASSERT_TRUE(scan) << scan.error().describe();
    check_endpoints(scan->tags.node_endpoints, where, true);
  }
  // Control: the same requests straight to kfake carry kfake's own ports, so the checks
  // above would fail if the proxy forwarded these responses unread.
  {
    raw_client c(cluster_->port(wrong));
    auto body = call(c, 0, 11, produce_request(11, *t, 0));
    ASSERT_TRUE(body);
    auto scan = kp::scan_produce_response(view(*body), 11);
    ASSERT_TRUE(scan);
    check_endpoints(scan->tags.node_endpoints, "direct Produce v11", false);
  }
  {
    raw_client c(cluster_->port(wrong));
    auto body = call(c, 1, 17, fetch_request(17, *t, 0));
    ASSERT_TRUE(body);
    auto scan = kp::scan_fetch_response(view(*body), 17);
    ASSERT_TRUE(scan);
    check_endpoints(scan->tags.node_endpoints, "direct Fetch v17", false);
  }
}

// A broker joins mid-run: the moment a Metadata answer through the proxy names it, its
// advertised address must already accept connections and answer ApiVersions.
TEST_P(KfakeRawProtocol, JoiningBrokerHasListenerBeforeClientsLearnIt) {
  const auto join_port = kpp::test::free_port();
  kfake_options opts;
  opts.add_node_port = join_port;
  opts.add_node_after = "2s";
  start(opts);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  int advertised = -1;
  int polls = 0;
  raw_client c(proxy_->bootstrap_port);
  ASSERT_TRUE(c.connected());
  while (advertised < 0 && std::chrono::steady_clock::now() < deadline) {
    ++polls;
    auto body = call(c, 3, 12, metadata_request(12));
    ASSERT_TRUE(body) << "Metadata poll " << polls << " failed";
    auto md = kp::decode_metadata_response(view(*body), 12);
    ASSERT_TRUE(md) << md.error().describe();
    for (const auto& b : md->brokers) {
      expect_proxy_address(b.host, b.port, "Metadata poll, broker " + std::to_string(b.node_id));
      if (b.node_id == 3) advertised = b.port;
    }
    if (advertised < 0) std::this_thread::sleep_for(20ms);  // poll pacing, bounded by deadline
  }
  ASSERT_GE(advertised, 0) << "node 3 never appeared through the proxy";
  EXPECT_NE(advertised, join_port) << "the joining broker's real port was handed out";
  // No wait here: the listener must exist already.
  raw_client joined(static_cast<std::uint16_t>(advertised));
  ASSERT_TRUE(joined.connected()) << "node 3 advertised on " << advertised << " with no listener";
  auto av = call(joined, 18, 3, api_versions_request(3));
  ASSERT_TRUE(av) << "no ApiVersions answer from node 3's listener";
  auto parsed = kp::decode_api_versions_response_any(view(*av), 3);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->response.error_code, 0);
  std::printf("[%s] node 3 (real port %d) appeared after %d polls on proxy port %d, answering\n",
              to_string(GetParam()), join_port, polls, advertised);
  // And clients asking that listener get the four-broker view, proxy addresses only.
  EXPECT_EQ(metadata_brokers(static_cast<std::uint16_t>(advertised), 12).size(), 4u);
}

// The last top-level tag of a flexible Fetch body: the proxy's padding (an unknown tag of
// zeros that ends the frame at the size it announced before streaming the body).
void expect_padding_last(kp::bytes_view body, std::int16_t v, const std::string& where) {
  auto scan = kp::scan_fetch_response(body, v);
  ASSERT_TRUE(scan) << where << ": " << scan.error().describe();
  kp::wire_reader r(body.subspan(scan->tags.section_offset));
  std::optional<kp::tagged_field> last;
  ASSERT_TRUE(kp::read_tagged_fields(r, [&](const kp::tagged_field& f) {
    last = f;
    return true;
  }));
  ASSERT_TRUE(last.has_value()) << where << ": no top-level tags";
  EXPECT_TRUE(last->tag == kp::fetch_padding_tag || last->tag == kp::fetch_padding_tag_wide)
      << where << ": last tag " << last->tag;
  for (const auto b : last->data) ASSERT_EQ(b, std::byte{0}) << where;
}

std::uint64_t proc_status_bytes(pid_t pid, const std::string& key) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (!f) return 0;
  char line[256];
  std::uint64_t kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::string(line).rfind(key + ":", 0) == 0)
      kb = std::strtoull(line + key.size() + 1, nullptr, 10);
  std::fclose(f);
  return kb * 1024;
}

// Flexible Fetch from the partition leader (no NodeEndpoints): through the proxy the body is
// the broker's, byte for byte, up to the top-level tags, which end in the padding; the frame is
// exactly the broker's size plus the reserve (3 brokers whose advertised and upstream hosts are
// both 127.0.0.1: the floor).
TEST_P(KfakeRawProtocol, FlexibleFetchEndsWithPaddingAtTheAnnouncedSize) {
  kfake_options opts;
  opts.topics = "padded";
  start(opts);
  std::vector<topic_info> topics;
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12, &topics);
  const topic_info* t = nullptr;
  for (const auto& x : topics)
    if (x.name == "padded") t = &x;
  ASSERT_NE(t, nullptr);
  const int leader = t->leaders.at(0);
  {
    raw_client c(static_cast<std::uint16_t>(brokers.at(leader)));
    ASSERT_TRUE(call(c, 0, 11, produce_request(11, *t, 0))) << "produce through the proxy";
  }
  for (std::int16_t v : {13, 15, 16, 17, 18}) {
    const std::string where = "Fetch v" + std::to_string(v);
    raw_client proxied(static_cast<std::uint16_t>(brokers.at(leader)));
    raw_client direct(cluster_->port(leader));
    auto via = call(proxied, 1, v, fetch_request(v, *t, 0));
    auto straight = call(direct, 1, v, fetch_request(v, *t, 0));
    ASSERT_TRUE(via && straight) << where;
    auto scan = kp::scan_fetch_response(view(*straight), v);
    ASSERT_TRUE(scan) << scan.error().describe();
    EXPECT_GT(scan->record_bytes, 0u) << where << ": the probe record is fetched";
    EXPECT_EQ(via->size(), straight->size() + kpp::routing::fetch_reserve_floor) << where;
    EXPECT_TRUE(std::equal(
        straight->begin(),
        straight->begin() + static_cast<std::ptrdiff_t>(scan->tags.section_offset), via->begin()))
        << where << ": the body before the top-level tags is not the broker's";
    expect_padding_last(view(*via), v, where);
  }
}

// One ~50 MB flexible Fetch response streams through the proxy's fixed buffer: its peak RSS
// grows by less than 1 MiB while the response passes (it used to grow by the whole frame).
TEST_P(KfakeRawProtocol, BigFlexibleFetchStreamsInConstantMemory) {
  kfake_options opts;
  opts.topics = "big";
  opts.partitions = 1;
  start(opts);
  constexpr int records = 50000;  // x 1 KiB
  {
    kpp::test::producer p(cluster_->address(0), {{"linger.ms", "20"}, {"batch.size", "1000000"}});
    const std::string value(1024, 'x');
    for (int i = 0; i < records; ++i) ASSERT_TRUE(p.produce("big", "", value, 0)) << p.last_error();
    ASSERT_TRUE(p.flush(60s)) << p.last_error();
    ASSERT_EQ(p.delivered(), static_cast<std::uint64_t>(records));
  }
  std::vector<topic_info> topics;
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12, &topics);
  const topic_info* t = nullptr;
  for (const auto& x : topics)
    if (x.name == "big") t = &x;
  ASSERT_NE(t, nullptr);
  raw_client c(static_cast<std::uint16_t>(brokers.at(t->leaders.at(0))));
  ASSERT_TRUE(call(c, 18, 3, api_versions_request(3)));  // the session's buffers are in use
  const pid_t pid = proxy_->process.pid();
  // clear_refs 5 resets VmHWM to the current RSS (Linux), so the peak below is this response's.
  const bool reset = static_cast<bool>(std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs")
                                       << "5" << std::flush);
  const auto before = proc_status_bytes(pid, reset ? "VmRSS" : "VmHWM");
  auto body = call(c, 1, 16, fetch_request(16, *t, 0, 64 << 20));
  const auto peak = proc_status_bytes(pid, "VmHWM");
  ASSERT_TRUE(body) << "no Fetch v16 answer";
  auto scan = kp::scan_fetch_response(view(*body), 16);
  ASSERT_TRUE(scan) << scan.error().describe();
  std::printf(
      "[%s] one Fetch v16 response of %zu bytes (%llu of records): proxy VmHWM %llu -> "
      "%llu KiB%s\n",
      to_string(GetParam()), body->size(), static_cast<unsigned long long>(scan->record_bytes),
      static_cast<unsigned long long>(before / 1024), static_cast<unsigned long long>(peak / 1024),
      reset ? "" : " (HWM not reset)");
  ASSERT_GT(scan->record_bytes, 50'000'000u) << "kfake answered with less than 50 MB";
  // Assembling this frame would cost ~50 MiB. A release build grows by well under 1 MiB (the
  // benchmark reports that target); 4 MiB leaves room for the sanitizer build's allocator.
  EXPECT_LT(peak - std::min(peak, before), 4u << 20);
  expect_padding_last(view(*body), 16, "big Fetch v16");
}

INSTANTIATE_TEST_SUITE_P(Modes, KfakeRawProtocol,
                         ::testing::Values(proxy_mode::yaml_node_id, proxy_mode::grepplabs_flags),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

// Issue 14's memory bound: 20 clients, each with a ~50 MB flexible Fetch response
// outstanding (asked for, never read). The proxy streams them through its fixed buffers and
// stops reading each upstream when its client stops, so its RSS stays within
// limits.assembled_memory (256 MiB, the default) + 64 MiB; assembling them would take 1 GB.
class KfakeOutstandingFetch : public KfakeRawProtocol {};

TEST_P(KfakeOutstandingFetch, TwentyUnreadBigFetchResponsesStayWithinTheBound) {
  kfake_options opts;
  opts.topics = "big";
  opts.partitions = 1;
  start(opts);
  constexpr int records = 50000;  // x 1 KiB
  {
    kpp::test::producer p(cluster_->address(0), {{"linger.ms", "20"}, {"batch.size", "1000000"}});
    const std::string value(1024, 'x');
    for (int i = 0; i < records; ++i) ASSERT_TRUE(p.produce("big", "", value, 0)) << p.last_error();
    ASSERT_TRUE(p.flush(60s)) << p.last_error();
  }
  std::vector<topic_info> topics;
  const auto brokers = metadata_brokers(proxy_->bootstrap_port, 12, &topics);
  const topic_info* t = nullptr;
  for (const auto& x : topics)
    if (x.name == "big") t = &x;
  ASSERT_NE(t, nullptr);
  const auto port = static_cast<std::uint16_t>(brokers.at(t->leaders.at(0)));
  constexpr int clients = 20;
  std::vector<std::unique_ptr<raw_client>> cs;
  for (int i = 0; i < clients; ++i) {
    cs.push_back(std::make_unique<raw_client>(port));
    ASSERT_TRUE(cs.back()->connected());
    ASSERT_TRUE(call(*cs.back(), 18, 3, api_versions_request(3)));
  }
  for (int i = 0; i < clients; ++i) {
    ASSERT_TRUE(cs[static_cast<std::size_t>(i)]->send(
        kpp::test::request_frame_v2(1, 16, 5000 + i, to_u8(fetch_request(16, *t, 0, 64 << 20)))));
  }
  // Every response has started (its first bytes wait on its client's socket); they are
  // outstanding once the bytes sent to clients stop growing: each is stuck on its socket.
  for (auto& c : cs) ASSERT_TRUE(c->readable(30s)) << "a Fetch response never started";
  const std::string sent_family = "kafka_psc_proxy_listener_upstream_to_client_bytes_total";
  long last = -1;
  int steady = 0;
  const bool settled = kpp::test::poll_until(
      [&] {
        const long now = kpp::test::metric_sum(proxy_->admin_port, sent_family).value_or(-1);
        steady = now == last && now > 0 ? steady + 1 : 0;
        last = now;
        return steady >= 25;  // 0.5 s without a byte more
      },
      60s);
  ASSERT_TRUE(settled) << "the proxy kept sending for 60 s";
  const pid_t pid = proxy_->process.pid();
  const auto rss = proc_status_bytes(pid, "VmRSS");
  const auto hwm = proc_status_bytes(pid, "VmHWM");
  std::printf(
      "[%s] %d unread Fetch v16 responses of ~50 MB: %ld bytes reached the clients; "
      "proxy VmRSS %llu KiB, VmHWM %llu KiB\n",
      to_string(GetParam()), clients, last, static_cast<unsigned long long>(rss / 1024),
      static_cast<unsigned long long>(hwm / 1024));
  ASSERT_LT(last, static_cast<long>(clients) * 50'000'000)
      << "the clients received the responses whole: nothing was outstanding";
  EXPECT_LE(hwm, (256ull << 20) + (64ull << 20));
}

INSTANTIATE_TEST_SUITE_P(Yaml, KfakeOutstandingFetch, ::testing::Values(proxy_mode::yaml_node_id),
                         [](const auto& param_info) {
                           return std::string(to_string(param_info.param));
                         });

}  // namespace
