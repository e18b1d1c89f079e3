#include "support/kafka_clients.h"

#include <stdexcept>
#include <thread>

namespace kpp::test {
namespace {

rd_kafka_conf_t* make_conf(const kafka_props& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("librdkafka " + k + "=" + v + ": " + err);
    }
  }
  return conf;
}

kafka_props merged(kafka_props base, const kafka_props& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

}  // namespace

// ---- producer ----------------------------------------------------------------------------

producer::producer(const std::string& bootstrap, const kafka_props& extra) {
  rd_kafka_conf_t* conf = make_conf(
      merged({{"bootstrap.servers", bootstrap}, {"log_level", "3"}, {"linger.ms", "5"}}, extra));
  rd_kafka_conf_set_dr_msg_cb(conf, &producer::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk_) throw std::runtime_error(std::string("rd_kafka_new(producer): ") + err);
}

producer::~producer() {
  if (rk_) {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_, 0);
    rd_kafka_destroy(rk_);
  }
}

void producer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<producer*>(opaque);
  if (m->err) {
    self->failed_.fetch_add(1);
    std::lock_guard lock(self->mu_);
    self->last_error_ = rd_kafka_err2str(m->err);
  } else {
    self->delivered_.fetch_add(1);
  }
}

bool producer::produce(const std::string& topic, const std::string& key, const std::string& value,
                       std::int32_t partition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto err =
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline) {
      std::lock_guard lock(mu_);
      last_error_ = std::string("produce: ") + rd_kafka_err2str(err);
      return false;
    }
    rd_kafka_poll(rk_, 10);  // serves delivery reports, which frees queue space
  }
}

bool producer::flush(std::chrono::milliseconds timeout) {
  return rd_kafka_flush(rk_, static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void producer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(rk_, static_cast<int>(timeout.count()));
}

std::string producer::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

std::unique_ptr<producer> metadata_client(const std::string& bootstrap) {
  return std::make_unique<producer>(bootstrap);
}

// ---- consumer ----------------------------------------------------------------------------

consumer::consumer(const std::string& bootstrap, const std::string& group,
                   const kafka_props& extra) {
  rd_kafka_conf_t* conf = make_conf(merged({{"bootstrap.servers", bootstrap},
                                            {"group.id", group},
                                            {"auto.offset.reset", "earliest"},
                                            {"enable.auto.commit", "false"},
                                            {"log_level", "3"}},
                                           extra));
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk_) throw std::runtime_error(std::string("rd_kafka_new(consumer): ") + err);
  rd_kafka_poll_set_consumer(rk_);
}

consumer::~consumer() {
  close();
  if (rk_) rd_kafka_destroy(rk_);
}

bool consumer::subscribe(const std::vector<std::string>& topics) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  const auto err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool consumer::poll_one(std::chrono::milliseconds timeout, std::vector<record>& out) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, static_cast<int>(timeout.count()));
  if (!m) return false;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) errors_.push_back(rd_kafka_message_errstr(m));
  } else {
    record r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
    out.push_back(std::move(r));
  }
  rd_kafka_message_destroy(m);
  return true;
}

std::vector<record> consumer::poll_records(std::size_t count, std::chrono::milliseconds timeout) {
  std::vector<record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline)
    poll_one(std::chrono::milliseconds(100), out);
  return out;
}

std::vector<record> consumer::poll_for(std::chrono::milliseconds duration) {
  std::vector<record> out;
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) poll_one(std::chrono::milliseconds(100), out);
  return out;
}

rd_kafka_resp_err_t consumer::commit() {
  return rd_kafka_commit(rk_, nullptr, 0);
}

std::vector<std::pair<std::string, std::int32_t>> consumer::assignment() const {
  std::vector<std::pair<std::string, std::int32_t>> out;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || !list) return out;
  for (int i = 0; i < list->cnt; ++i)
    out.emplace_back(list->elems[i].topic, list->elems[i].partition);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

void consumer::close() {
  if (closed_ || !rk_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

// ---- metadata ----------------------------------------------------------------------------

std::vector<broker_address> client_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  std::vector<broker_address> out;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count())) !=
      RD_KAFKA_RESP_ERR_NO_ERROR)
    return out;
  for (int i = 0; i < md->broker_cnt; ++i)
    out.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
  rd_kafka_metadata_destroy(md);
  return out;
}

std::string test_key(const std::string& prefix, std::uint64_t i) {
  return prefix + "-key-" + std::to_string(i);
}

std::string test_value(const std::string& prefix, std::uint64_t i) {
  // A value that varies in length too, so a shifted or truncated record cannot pass.
  return prefix + "-value-" + std::to_string(i) + "-" +
         std::string(i % 37, static_cast<char>('a' + i % 26));
}

}  // namespace kpp::test
