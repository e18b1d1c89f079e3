#include "support/mock_cluster.h"

#include <stdexcept>

namespace kpp::test {

mock_cluster::mock_cluster(int brokers) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!owner_) throw std::runtime_error(err);
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  if (!cluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
}

mock_cluster::~mock_cluster() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (owner_) rd_kafka_destroy(owner_);
}

std::string mock_cluster::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

std::vector<std::string> mock_cluster::broker_addresses() const {
  std::vector<std::string> out;
  std::string all = bootstraps();
  std::size_t start = 0;
  while (start <= all.size()) {
    auto comma = all.find(',', start);
    out.push_back(
        all.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void mock_cluster::create_topic(const std::string& name, int partitions, int replication) {
  rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replication);
}

}  // namespace kpp::test
