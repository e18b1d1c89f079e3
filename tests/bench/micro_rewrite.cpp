// Micro-benchmarks of the response rewrite path against a plain memcpy of the same frame:
// what a rewritten Metadata response costs over forwarding it, and what walking a Fetch
// response with 1 MiB of records costs (records skipped by length) with and without
// KIP-951 NodeEndpoints. Each benchmark reports ns per frame (its time), bytes/s, and the
// rewrite/memcpy ratio as a counter (goal for Metadata: <= 2).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <string>

#include "kpp/protocol/fetch_response.h"
#include "kpp/protocol/metadata_response.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {
namespace {

constexpr bool compact = true;

std::optional<advertised_endpoint> bench_map(const endpoint& e) {
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".kafka.proxy.example.com",
                             9000 + e.node_id};
}

// Metadata v12 body: 3 brokers, 10 topics x 100 partitions, replication factor 3.
byte_buffer metadata_v12_body() {
  byte_buffer out;
  wire_writer w{out};
  w.i32(0);                    // ThrottleTimeMs
  w.array_length(3, compact);  // Brokers
  for (std::int32_t id = 1; id <= 3; ++id) {
    w.i32(id);  // NodeId
    w.string("kafka-" + std::to_string(id) + ".kafka-headless.kafka.svc.cluster.local", compact);
    w.i32(9092);  // Port
    w.nullable_string("us-west1-" + std::string(1, static_cast<char>('a' + id)), compact);
    w.uvarint(0);  // tags
  }
  w.nullable_string("q1Wv9pKDQ5i5Yj1Tq2ZtYg", compact);  // ClusterId
  w.i32(1);                                              // ControllerId
  w.array_length(10, compact);                           // Topics
  for (int t = 0; t < 10; ++t) {
    w.i16(0);                                                  // ErrorCode
    w.nullable_string("topic-" + std::to_string(t), compact);  // Name
    uuid id{};
    id[0] = static_cast<std::byte>(t);
    w.write_uuid(id);              // TopicId
    w.boolean(false);              // IsInternal
    w.array_length(100, compact);  // Partitions
    for (std::int32_t p = 0; p < 100; ++p) {
      w.i16(0);                    // ErrorCode
      w.i32(p);                    // PartitionIndex
      w.i32(1 + p % 3);            // LeaderId
      w.i32(7);                    // LeaderEpoch
      w.array_length(3, compact);  // ReplicaNodes
      for (std::int32_t r = 0; r < 3; ++r) w.i32(1 + (p + r) % 3);
      w.array_length(3, compact);  // IsrNodes
      for (std::int32_t r = 0; r < 3; ++r) w.i32(1 + (p + r) % 3);
      w.array_length(0, compact);  // OfflineReplicas
      w.uvarint(0);                // tags
    }
    w.i32(-2147483648);  // TopicAuthorizedOperations
    w.uvarint(0);        // tags
  }
  w.uvarint(0);  // tags
  return out;
}

// Fetch v16 body: one topic, 16 partitions of 64 KiB records (1 MiB), optionally with
// NodeEndpoints for 3 brokers in top-level tag 0.
byte_buffer fetch_v16_body(bool with_endpoints) {
  byte_buffer out;
  wire_writer w{out};
  w.i32(0);                     // ThrottleTimeMs
  w.i16(0);                     // ErrorCode
  w.i32(42);                    // SessionId
  w.array_length(1, compact);   // Responses
  w.write_uuid(uuid{});         // TopicId
  w.array_length(16, compact);  // Partitions
  const byte_buffer records(64 * 1024, std::byte{0x5a});
  for (std::int32_t p = 0; p < 16; ++p) {
    w.i32(p);                               // PartitionIndex
    w.i16(0);                               // ErrorCode
    w.i64(1000);                            // HighWatermark
    w.i64(1000);                            // LastStableOffset
    w.i64(0);                               // LogStartOffset
    w.array_length(std::nullopt, compact);  // AbortedTransactions
    w.i32(-1);                              // PreferredReadReplica
    w.bytes(records, compact);              // Records
    w.uvarint(0);                           // tags
  }
  w.uvarint(0);  // topic tags
  if (!with_endpoints) {
    w.uvarint(0);
    return out;
  }
  byte_buffer ne;
  wire_writer n{ne};
  n.array_length(3, compact);
  for (std::int32_t id = 1; id <= 3; ++id) {
    n.i32(id);
    n.string("kafka-" + std::to_string(id) + ".kafka-headless.kafka.svc.cluster.local", compact);
    n.i32(9092);
    n.nullable_string(std::nullopt, compact);
    n.uvarint(0);
  }
  w.uvarint(1);  // one tagged field
  w.uvarint(0);  // tag 0: NodeEndpoints
  w.uvarint(static_cast<std::uint32_t>(ne.size()));
  w.raw(ne);
  return out;
}

using rewrite_fn = result<rewrite_stats> (*)(bytes_view, std::int16_t, const address_mapper&,
                                             byte_buffer&);

// Times `rewrite` in the benchmark loop, then the same number of memcpy's of the frame, and
// reports both per frame and their ratio.
void run(benchmark::State& state, const byte_buffer& body, std::int16_t version,
         rewrite_fn rewrite) {
  const address_mapper map = bench_map;
  byte_buffer out;
  out.reserve(body.size() + 4096);
  std::int64_t frames = 0;
  const auto loop_start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    out.clear();
    auto stats = rewrite(body, version, map, out);
    if (!stats) state.SkipWithError(std::string(stats.error().describe()).c_str());
    benchmark::DoNotOptimize(out.data());
    ++frames;
  }
  const double rewrite_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - loop_start)
          .count() /
      static_cast<double>(frames);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < frames; ++i) {
    out.resize(body.size());
    std::memcpy(out.data(), body.data(), body.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double memcpy_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(frames);
  state.SetBytesProcessed(frames * static_cast<std::int64_t>(body.size()));
  state.counters["frame_bytes"] = static_cast<double>(body.size());
  state.counters["memcpy_ns"] = memcpy_ns;
  state.counters["rewrite_ns"] = rewrite_ns;
  state.counters["ratio_vs_memcpy"] = rewrite_ns / memcpy_ns;
}

void BM_memcpy(benchmark::State& state, const byte_buffer& body) {
  byte_buffer out(body.size());
  for (auto _ : state) {
    std::memcpy(out.data(), body.data(), body.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

const byte_buffer& metadata_body() {
  static const byte_buffer b = metadata_v12_body();
  return b;
}
const byte_buffer& fetch_plain() {
  static const byte_buffer b = fetch_v16_body(false);
  return b;
}
const byte_buffer& fetch_endpoints() {
  static const byte_buffer b = fetch_v16_body(true);
  return b;
}

void BM_metadata_v12_memcpy(benchmark::State& s) {
  BM_memcpy(s, metadata_body());
}
void BM_metadata_v12_rewrite(benchmark::State& s) {
  run(s, metadata_body(), 12, &rewrite_metadata_response);
}
void BM_fetch_v16_1MiB_memcpy(benchmark::State& s) {
  BM_memcpy(s, fetch_plain());
}
void BM_fetch_v16_1MiB_walk_no_endpoints(benchmark::State& s) {
  run(s, fetch_plain(), 16, &rewrite_fetch_response);
}
void BM_fetch_v16_1MiB_rewrite_endpoints(benchmark::State& s) {
  run(s, fetch_endpoints(), 16, &rewrite_fetch_response);
}

BENCHMARK(BM_metadata_v12_memcpy);
BENCHMARK(BM_metadata_v12_rewrite);
BENCHMARK(BM_fetch_v16_1MiB_memcpy);
BENCHMARK(BM_fetch_v16_1MiB_walk_no_endpoints);
BENCHMARK(BM_fetch_v16_1MiB_rewrite_endpoints);

}  // namespace
}  // namespace kpp::protocol
