#include "bench_workloads.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/raw_client.h"

namespace kpp::bench {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using settings = std::vector<std::pair<std::string, std::string>>;

// The mock cluster's io thread; librdkafka names it "rdk:mock".
constexpr const char* mock_thread = "mock";

double since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

class cpu_probe {
 public:
  explicit cpu_probe(pid_t proxy) : proxy_(proxy) {}
  void start() {
    self_ = self_cpu_split(mock_thread);
    proxy0_ = proxy_ ? process_cpu_seconds(proxy_) : 0;
    faults0_ = proxy_ ? process_minor_faults(proxy_) : 0;
    t0_ = clock::now();
  }
  cpu_sample stop() const {
    const auto self = self_cpu_split(mock_thread);
    cpu_sample s;
    s.proxy = proxy_ ? process_cpu_seconds(proxy_) - proxy0_ : 0;
    const auto faults = proxy_ ? process_minor_faults(proxy_) : 0;
    s.proxy_faults = faults > faults0_ ? faults - faults0_ : 0;  // 0 if the proxy is gone
    s.broker = self.broker - self_.broker;
    s.client = self.other - self_.other;
    s.wall = since(t0_);
    return s;
  }

 private:
  pid_t proxy_;
  self_cpu self_;
  double proxy0_ = 0;
  std::uint64_t faults0_ = 0;
  clock::time_point t0_;
};

struct producer_ctx : client_ctx {
  std::atomic<long> delivered{0};
  std::atomic<long> failed{0};
  std::vector<double>* latencies_us = nullptr;  // latency runs: filled by the poll thread
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* ctx = static_cast<producer_ctx*>(static_cast<client_ctx*>(opaque));
  if (m->err) {
    ++ctx->failed;
    return;
  }
  ++ctx->delivered;
  if (ctx->latencies_us && m->_private) {
    const auto sent = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
    const auto now = clock::now().time_since_epoch().count();
    ctx->latencies_us->push_back(static_cast<double>(now - sent) / 1e3);
  }
}

struct handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_topic_t* rkt = nullptr;
  bool consumer = false;
  ~handle() {
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (rk && consumer) rd_kafka_consumer_close(rk);
    if (rk) rd_kafka_destroy(rk);
  }
};

std::unique_ptr<handle> make_producer(const path& p, producer_ctx& ctx, const std::string& topic,
                                      const settings& s) {
  rd_kafka_conf_t* conf = client_conf(p, &ctx, s);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char err[512];
  auto h = std::make_unique<handle>();
  h->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!h->rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(err);
  }
  h->rkt = rd_kafka_topic_new(h->rk, topic.c_str(), nullptr);
  return h;
}

int partition_count(rd_kafka_t* rk, rd_kafka_topic_t* rkt) {
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
  const int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(md);
  return n;
}

// One record to every partition and a flush: every broker connection is up afterwards.
bool warm_up(handle& h, producer_ctx& ctx, const char* payload, std::size_t size) {
  const int partitions = partition_count(h.rk, h.rkt);
  if (partitions <= 0) return false;
  for (int i = 0; i < partitions; ++i)
    rd_kafka_produce(h.rkt, i, 0, const_cast<char*>(payload), size, nullptr, 0, nullptr);
  rd_kafka_flush(h.rk, 15000);
  return ctx.delivered.load() == partitions && ctx.failed.load() == 0;
}

// Random bytes, so that no layer (TLS never compresses, but a codec could) sees repetition. A
// record is a window of the pool at a moving offset: records differ from one another as well.
class payload_pool {
 public:
  explicit payload_pool(std::size_t record) : record_(record), bytes_(std::size_t{4} << 20, '\0') {
    std::mt19937_64 gen(0x6b7070);  // fixed: every path gets the same bytes
    for (auto& b : bytes_) b = static_cast<char>(gen());
  }
  char* next() {
    offset_ = (offset_ + 4099) % (bytes_.size() - record_);
    return bytes_.data() + offset_;
  }

 private:
  std::size_t record_;
  std::string bytes_;
  std::size_t offset_ = 0;
};

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::min<double>(v.size() - 1, q * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

run_result run_produce(const path& p, const produce_spec& s) {
  run_result r;
  payload_pool payload(s.size);
  producer_ctx ctx;
  // Bounded client queue (16 MB) so the final flush stays short.
  auto h = make_producer(p, ctx, s.topic,
                         {{"linger.ms", "5"},
                          {"acks", s.acks},
                          {"enable.idempotence", "false"},
                          {"queue.buffering.max.kbytes", "16384"},
                          {"queue.buffering.max.messages", "200000"}});
  if (!warm_up(*h, ctx, payload.next(), s.size)) {
    r.error = "warm-up failed";
    return r;
  }
  const long base = ctx.delivered.load();
  cpu_probe probe(p.pid());
  probe.start();
  const auto t0 = clock::now();
  const auto end = t0 + std::chrono::duration<double>(s.seconds);
  const std::uint64_t count = s.bytes > 0 ? (s.bytes + s.size - 1) / s.size : 0;
  std::uint64_t n = 0;
  while (count > 0 ? n < count : clock::now() < end) {
    if (rd_kafka_produce(h->rkt, RD_KAFKA_PARTITION_UA, 0, payload.next(), s.size, nullptr, 0,
                         nullptr) != 0) {
      rd_kafka_poll(h->rk, 1);  // queue full: let deliveries drain
      continue;
    }
    if (++n % 1024 == 0) rd_kafka_poll(h->rk, 0);
  }
  rd_kafka_flush(h->rk, 30000);
  r.seconds = since(t0);
  r.cpu = probe.stop();
  r.msgs = static_cast<std::uint64_t>(ctx.delivered.load() - base);
  r.bytes = r.msgs * s.size;
  r.ok = ctx.failed.load() == 0 && r.msgs == n;
  if (!r.ok) r.error = std::to_string(n - r.msgs) + " undelivered";
  return r;
}

run_result run_consume(const path& p, const consume_spec& s) {
  run_result r;
  client_ctx ctx;
  rd_kafka_conf_t* conf = client_conf(p, &ctx,
                                      {{"group.id", "kpp-bench-" + p.name},
                                       {"enable.auto.commit", "false"},
                                       {"enable.auto.offset.store", "false"}});
  char err[512];
  handle h;
  h.consumer = true;
  h.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!h.rk) {
    rd_kafka_conf_destroy(conf);
    r.error = err;
    return r;
  }
  rd_kafka_poll_set_consumer(h.rk);
  auto assign_all = [&] {
    auto* list = rd_kafka_topic_partition_list_new(s.partitions);
    for (int i = 0; i < s.partitions; ++i)
      rd_kafka_topic_partition_list_add(list, s.topic.c_str(), i)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(h.rk, list);
    rd_kafka_topic_partition_list_destroy(list);
  };
  cpu_probe probe(p.pid());
  probe.start();
  assign_all();
  // A byte-bounded run reads at 10 MB/s at the very least.
  const double limit_s = s.bytes > 0 ? static_cast<double>(s.bytes) / 10e6 : s.seconds;
  const auto hard_end = clock::now() + std::chrono::duration<double>(limit_s) + 30s;
  clock::time_point t0{};
  std::uint64_t in_pass = 0;
  bool started = false;
  while (clock::now() < hard_end) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(h.rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The clock starts at the first record: connecting is not throughput.
      if (!started) {
        started = true;
        t0 = clock::now();
      } else {
        ++r.msgs;
        r.bytes += m->len;
      }
      if (++in_pass == s.msgs_per_pass) {
        in_pass = 0;
        if (s.bytes > 0 ? r.bytes >= s.bytes : since(t0) >= s.seconds) {
          rd_kafka_message_destroy(m);
          r.ok = true;
          break;
        }
        assign_all();  // read the topic again from the beginning
      }
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      r.error = rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  r.seconds = started ? since(t0) : 0;
  r.cpu = probe.stop();
  if (!r.ok && r.error.empty()) r.error = "timed out";
  return r;
}

run_result run_latency(const path& p, const latency_spec& s) {
  run_result r;
  const std::string payload(s.size, 'l');
  producer_ctx ctx;
  auto h = make_producer(p, ctx, s.topic,
                         {{"linger.ms", "0"}, {"acks", "1"}, {"enable.idempotence", "false"}});
  if (!warm_up(*h, ctx, payload.data(), payload.size())) {
    r.error = "warm-up failed";
    return r;
  }
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(s.rate * s.seconds) + 16);
  ctx.latencies_us = &lat;
  // Delivery reports are served by their own thread, blocked in rd_kafka_poll, so a report
  // is timed when it arrives rather than when the sender next wakes up.
  std::atomic<bool> stop{false};
  std::thread poller([&] {
    while (!stop.load()) rd_kafka_poll(h->rk, 50);
  });
  cpu_probe probe(p.pid());
  probe.start();
  const auto t0 = clock::now();
  const auto interval = std::chrono::nanoseconds(static_cast<long>(1e9 / s.rate));
  const auto count = static_cast<long>(s.rate * s.seconds);
  for (long i = 0; i < count; ++i) {
    std::this_thread::sleep_until(t0 + i * interval);
    void* sent = reinterpret_cast<void*>(
        static_cast<std::uintptr_t>(clock::now().time_since_epoch().count()));
    rd_kafka_produce(h->rkt, RD_KAFKA_PARTITION_UA, 0, const_cast<char*>(payload.data()),
                     payload.size(), nullptr, 0, sent);
  }
  rd_kafka_flush(h->rk, 15000);
  stop = true;
  poller.join();
  r.seconds = since(t0);
  r.cpu = probe.stop();
  r.msgs = lat.size();
  r.bytes = r.msgs * s.size;
  r.p50_us = percentile(lat, 0.50);
  r.p99_us = percentile(lat, 0.99);
  r.p999_us = percentile(lat, 0.999);
  r.ok = static_cast<long>(lat.size()) == count && ctx.failed.load() == 0;
  if (!r.ok) r.error = std::to_string(count - static_cast<long>(lat.size())) + " not timed";
  return r;
}

std::uint64_t prefill(const path& p, const std::string& topic, int partitions, std::size_t size,
                      std::uint64_t bytes_per_partition, const settings& extra) {
  payload_pool payload(size);
  producer_ctx ctx;
  settings s = {{"linger.ms", "50"}, {"acks", "1"}, {"enable.idempotence", "false"}};
  s.insert(s.end(), extra.begin(), extra.end());
  auto h = make_producer(p, ctx, topic, s);
  const std::uint64_t per_partition = std::max<std::uint64_t>(1, bytes_per_partition / size);
  for (int part = 0; part < partitions; ++part) {
    for (std::uint64_t i = 0; i < per_partition;) {
      if (rd_kafka_produce(h->rkt, part, 0, payload.next(), size, nullptr, 0, nullptr) == 0)
        ++i;
      else
        rd_kafka_poll(h->rk, 5);
    }
  }
  rd_kafka_flush(h->rk, 60000);
  std::uint64_t total = 0;
  for (int part = 0; part < partitions; ++part) {
    std::int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(h->rk, topic.c_str(), part, &lo, &hi, 10000) == 0)
      total += static_cast<std::uint64_t>(hi - lo);
  }
  return total;
}

namespace {
class raw_idle_connection final : public idle_connection {
 public:
  explicit raw_idle_connection(std::uint16_t port) : c_(port) {}
  [[nodiscard]] bool connected() const override { return c_.connected(); }
  bool send(const std::vector<std::uint8_t>& frame) override { return c_.send(frame); }
  bool read_frame(std::chrono::milliseconds timeout) override {
    return c_.read_frame(timeout).has_value();
  }

 private:
  kpp::test::raw_client c_;
};
}  // namespace

std::vector<idle_step> run_idle_connections(const path& p, const std::vector<int>& steps,
                                            const idle_opener& open) {
  std::vector<idle_step> out;
  std::vector<std::unique_ptr<idle_connection>> conns;
  const std::uint64_t rss0 = rss_bytes(p.pid());
  std::int32_t corr = 1;
  for (const int target : steps) {
    idle_step st;
    st.target = target;
    st.rss_before = rss0;
    // Batches of connections, all sent before any is read: the mock polls every connection
    // on each wake-up, so one round trip at a time would cost O(n^2) over the run.
    bool failed = false;
    while (!failed && static_cast<int>(conns.size()) < target) {
      const auto first = conns.size();
      const auto batch = std::min<std::size_t>(64, static_cast<std::size_t>(target) - first);
      for (std::size_t i = 0; i < batch; ++i) {
        auto c = open ? open(p.raw_port) : std::make_unique<raw_idle_connection>(p.raw_port);
        if (!c->connected() || !c->send(kpp::test::request_frame(18, 0, corr++))) {
          failed = true;
          break;
        }
        conns.push_back(std::move(c));
      }
      for (auto i = first; i < conns.size(); ++i) {
        if (!conns[i]->read_frame(10000ms)) {
          conns.resize(i);  // keep only the connections that completed a round trip
          failed = true;
          break;
        }
      }
    }
    std::this_thread::sleep_for(300ms);  // let the proxy settle before reading its RSS
    st.opened = static_cast<int>(conns.size());
    st.rss_after = rss_bytes(p.pid());
    st.bytes_per_conn =
        st.opened ? (static_cast<double>(st.rss_after) - static_cast<double>(rss0)) / st.opened : 0;
    out.push_back(st);
    if (st.opened < target) break;
  }
  conns.clear();
  std::this_thread::sleep_for(500ms);  // closes propagate before the next measurement
  return out;
}

fetch_result run_big_fetch(const path& p, const std::string& topic, std::uint64_t msgs) {
  fetch_result r;
  client_ctx ctx;
  rd_kafka_conf_t* conf = client_conf(p, &ctx,
                                      {{"group.id", "kpp-bench-big-" + p.name},
                                       {"enable.auto.commit", "false"},
                                       {"fetch.max.bytes", "104857600"},
                                       {"max.partition.fetch.bytes", "104857600"},
                                       {"receive.message.max.bytes", "110000000"},
                                       {"queued.max.messages.kbytes", "262144"}});
  char err[512];
  handle h;
  h.consumer = true;
  h.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!h.rk) {
    rd_kafka_conf_destroy(conf);
    r.error = err;
    return r;
  }
  rd_kafka_poll_set_consumer(h.rk);
  // Connect to the partition leader first, so the peak below is the Fetch, not connection setup.
  std::int64_t lo = 0, hi = 0;
  if (rd_kafka_query_watermark_offsets(h.rk, topic.c_str(), 0, &lo, &hi, 10000) != 0) {
    r.error = "watermarks through the path failed";
    return r;
  }
  std::this_thread::sleep_for(200ms);
  r.hwm_reset = reset_hwm(p.pid());
  r.rss_before = rss_bytes(p.pid());
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  const auto t0 = clock::now();
  rd_kafka_assign(h.rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::uint64_t got = 0;
  while (got < msgs && since(t0) < 60) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(h.rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++got;
      r.bytes += m->len;
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      r.error = rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  r.seconds = since(t0);
  r.hwm_growth =
      static_cast<std::int64_t>(hwm_bytes(p.pid())) - static_cast<std::int64_t>(r.rss_before);
  r.ok = got == msgs;
  if (!r.ok && r.error.empty())
    r.error = "got " + std::to_string(got) + " of " + std::to_string(msgs);
  return r;
}

}  // namespace kpp::bench
