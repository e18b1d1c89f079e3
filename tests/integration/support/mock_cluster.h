// librdkafka's mock cluster (a real third-party Kafka implementation) in the test process.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>
#include <vector>

namespace kpp::test {

class mock_cluster {
 public:
  explicit mock_cluster(int brokers = 3);
  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  [[nodiscard]] rd_kafka_mock_cluster_t* get() const { return cluster_; }
  // "127.0.0.1:p1,127.0.0.1:p2,..." (node ids 1..N in that order).
  [[nodiscard]] std::string bootstraps() const;
  [[nodiscard]] std::vector<std::string> broker_addresses() const;
  void create_topic(const std::string& name, int partitions, int replication = 3);

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace kpp::test
