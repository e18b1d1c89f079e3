// Streams a flexible Fetch response (v12+) through the response pump instead of assembling
// it: KIP-951's NodeEndpoints is a top-level tagged field at the very end of the frame, while
// the frame's size comes first. The frame is announced as the upstream's size plus a reserve R
// from the broker map (routing/fetch_reserve.h), everything before the top-level tagged fields
// is forwarded as it arrives (protocol/fetch_response_stream.h), and the tagged fields are
// written last, rewritten and padded to end exactly at the announced size
// (protocol/fetch_response_tail.h). A NodeEndpoints that does not fit is dropped and counted.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "kpp/net/close_reason.h"
#include "kpp/net/frame_pump.h"
#include "kpp/net/inflight_fifo.h"
#include "kpp/net/proxy_context.h"
#include "kpp/protocol/fetch_response_stream.h"

namespace kpp::net {

class fetch_tail_streamer final : public streamed_rewrite {
 public:
  // Reports a failure: the session closes with `cause`, logging `what`.
  using fail_fn = std::function<void(protocol_error_cause cause, const std::string& what)>;
  fetch_tail_streamer(proxy_context& ctx, fail_fn fail) : ctx_(ctx), fail_(std::move(fail)) {}

  // A new response answering `entry`, of `frame_size` payload bytes; false once failed.
  bool start(const inflight_entry& entry, std::size_t frame_size);

  [[nodiscard]] std::size_t announced_size() const noexcept override { return announced_; }
  std::optional<step> feed(protocol::bytes_view chunk) override;
  std::optional<protocol::bytes_view> finish() override;
  [[nodiscard]] std::size_t skippable() const noexcept override {
    return walk_ ? walk_->skippable() : 0;
  }
  bool skip_unseen(std::size_t n) override { return walk_ && walk_->skip_unseen(n); }

 private:
  std::size_t reserve();  // R, recomputed from the broker map at most once a second
  void failed(const protocol::error& e, const char* what);

  proxy_context& ctx_;
  fail_fn fail_;
  inflight_entry entry_;
  std::optional<protocol::fetch_response_stream> walk_;
  std::size_t reserve_ = 0;
  std::size_t announced_ = 0;
  std::size_t reserve_value_ = 0;
  std::chrono::steady_clock::time_point reserve_at_{};
  protocol::byte_buffer end_;  // the rewritten tail, until the pump has written it
};

}  // namespace kpp::net
