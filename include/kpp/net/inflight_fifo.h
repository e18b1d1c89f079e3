// Requests forwarded upstream and still awaiting their response, oldest first. A ring that
// grows on demand up to a fixed capacity: the session stops reading requests when it is full.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kpp/protocol/api_table.h"

namespace kpp::net {

struct inflight_entry {
  std::int32_t correlation_id = 0;
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  protocol::response_action action = protocol::response_action::stream;
  bool response_optional = false;  // acks=0 Produce: Apache Kafka never answers, the mock does
  bool raw_sasl = false;           // a raw SASL token after SaslHandshake v0: no Kafka header
  bool proxy_owned = false;        // the proxy's own request (re-authentication): never forwarded
};

class inflight_fifo {
 public:
  explicit inflight_fifo(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void push(const inflight_entry& e) {
    if (size_ == allocated_) grow();
    slots_[(head_ + size_) % allocated_] = e;
    ++size_;
  }
  [[nodiscard]] const inflight_entry& front() const noexcept { return slots_[head_]; }
  [[nodiscard]] bool holds_correlation_id(std::int32_t id) const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (slots_[(head_ + i) % allocated_].correlation_id == id) return true;
    return false;
  }
  void pop() noexcept {
    head_ = (head_ + 1) % allocated_;
    if (--size_ == 0) head_ = 0;
  }

 private:
  // Starts small and doubles up to the capacity: most connections never pipeline deeply,
  // and an idle one should cost bytes, not kilobytes.
  void grow() {
    const std::size_t next =
        allocated_ == 0 ? std::min<std::size_t>(8, capacity_) : std::min(allocated_ * 2, capacity_);
    auto bigger = std::make_unique<inflight_entry[]>(next);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = slots_[(head_ + i) % allocated_];
    slots_ = std::move(bigger);
    allocated_ = next;
    head_ = 0;
  }

  std::size_t capacity_;
  std::size_t allocated_ = 0;
  std::unique_ptr<inflight_entry[]> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kpp::net
