// Real librdkafka clients for integration tests: a producer that counts delivery reports, a
// group consumer that collects records by content, and the broker list a client was told.
// Every wait is bounded; handles are destroyed (and consumers closed) by RAII.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kpp::test {

// librdkafka properties, applied in order (a later entry overrides an earlier one).
using kafka_props = std::vector<std::pair<std::string, std::string>>;

struct broker_address {
  std::int32_t id = -1;
  std::string host;
  std::int32_t port = 0;
  [[nodiscard]] std::string str() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const broker_address&, const broker_address&) = default;
};

// A message as a consumer saw it.
struct record {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string value;
};

class producer {
 public:
  // `extra` overrides the defaults (log_level 3, linger.ms 5).
  explicit producer(const std::string& bootstrap, const kafka_props& extra = {});
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  [[nodiscard]] rd_kafka_t* get() const { return rk_; }
  // Enqueues one message (copying key and value); on a full queue it serves delivery reports
  // and retries, for at most `timeout`. False on any other error (see last_error()).
  bool produce(const std::string& topic, const std::string& key, const std::string& value,
               std::int32_t partition = RD_KAFKA_PARTITION_UA,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // True when every enqueued message got its delivery report within `timeout`.
  bool flush(std::chrono::milliseconds timeout);
  void poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  [[nodiscard]] std::uint64_t delivered() const { return delivered_.load(); }
  [[nodiscard]] std::uint64_t failed() const { return failed_.load(); }
  [[nodiscard]] std::string last_error() const;

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  rd_kafka_t* rk_ = nullptr;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  mutable std::mutex mu_;
  std::string last_error_;
};

class consumer {
 public:
  // A group consumer: auto.offset.reset earliest, no auto commit (commit() is explicit).
  consumer(const std::string& bootstrap, const std::string& group, const kafka_props& extra = {});
  ~consumer();  // closes (leaves the group) if close() was not called
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  [[nodiscard]] rd_kafka_t* get() const { return rk_; }
  bool subscribe(const std::vector<std::string>& topics);
  // Polls until at least `count` records arrived in total from this call, or `timeout`.
  // Consumer errors (transport, partition EOF) are recorded in errors(), not returned.
  std::vector<record> poll_records(std::size_t count, std::chrono::milliseconds timeout);
  // Polls for the whole `duration` and returns what arrived (to prove nothing more comes).
  std::vector<record> poll_for(std::chrono::milliseconds duration);
  // Synchronous commit of the current positions of the assignment.
  rd_kafka_resp_err_t commit();
  // Current assignment (topic, partition) pairs.
  [[nodiscard]] std::vector<std::pair<std::string, std::int32_t>> assignment() const;
  void close();
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

 private:
  bool poll_one(std::chrono::milliseconds timeout, std::vector<record>& out);
  rd_kafka_t* rk_ = nullptr;
  bool closed_ = false;
  std::vector<std::string> errors_;
};

// A plain client (a producer that produces nothing) for metadata questions.
std::unique_ptr<producer> metadata_client(const std::string& bootstrap);

// The brokers a Metadata request through `rk` returns (all topics); empty on error.
std::vector<broker_address> client_metadata(
    rd_kafka_t* rk, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// "key-<i>" / "value-<i>-<filler>" pairs: distinct and checkable by content.
std::string test_key(const std::string& prefix, std::uint64_t i);
std::string test_value(const std::string& prefix, std::uint64_t i);

}  // namespace kpp::test
