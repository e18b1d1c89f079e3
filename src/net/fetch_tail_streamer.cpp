#include "kpp/net/fetch_tail_streamer.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <limits>

#include "kpp/protocol/fetch_response_tail.h"
#include "kpp/routing/fetch_reserve.h"

namespace kpp::net {

std::size_t fetch_tail_streamer::reserve() {
  // The broker map changes rarely (discovery, a new node): a second-old R is as good, and a
  // snapshot per response would cost more than the tail itself.
  const auto now = std::chrono::steady_clock::now();
  if (reserve_value_ == 0 || now - reserve_at_ > std::chrono::seconds(1)) {
    reserve_value_ = routing::fetch_tail_reserve(ctx_.brokers->snapshot());
    reserve_at_ = now;
  }
  return reserve_value_;
}

void fetch_tail_streamer::failed(const protocol::error& e, const char* what) {
  ctx_.metrics->count_rewrite_failure(entry_.api_key);
  const auto cause = e.code == protocol::errc::unmapped_node ? protocol_error_cause::unmapped_node
                                                             : protocol_error_cause::rewrite_failed;
  fail_(cause, std::string("cannot stream fetch v") + std::to_string(entry_.api_version) +
                   " response: " + what + ": " + e.describe());
}

bool fetch_tail_streamer::start(const inflight_entry& entry, std::size_t frame_size) {
  entry_ = entry;
  walk_.reset();
  reserve_ = reserve();
  if (frame_size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) - reserve_) {
    fail_(protocol_error_cause::frame_too_large, "fetch response of " + std::to_string(frame_size) +
                                                     " bytes plus the " + std::to_string(reserve_) +
                                                     "-byte reserve exceeds a Kafka frame");
    return false;
  }
  auto walk = protocol::fetch_response_stream::start(entry.api_version, frame_size);
  if (!walk) {
    failed(walk.error(), "walk");
    return false;
  }
  walk_.emplace(std::move(*walk));
  announced_ = frame_size + reserve_;
  return true;
}

std::optional<streamed_rewrite::step> fetch_tail_streamer::feed(protocol::bytes_view chunk) {
  auto s = walk_->feed(chunk);
  if (!s) {
    failed(s.error(), "walk");
    return std::nullopt;
  }
  return step{s->taken, s->forward};
}

std::optional<protocol::bytes_view> fetch_tail_streamer::finish() {
  if (!walk_->done()) {  // the pump fed the whole frame: the walk ends with it or fails
    failed(protocol::error{protocol::errc::truncated, walk_->offset(), "fetch response"}, "walk");
    return std::nullopt;
  }
  end_.clear();
  if (end_.capacity() > 2 * protocol::fetch_tail_limit) protocol::byte_buffer().swap(end_);
  auto stats = protocol::rewrite_fetch_tail(walk_->tail(), ctx_.brokers->mapper(), reserve_, end_);
  if (!stats) {
    failed(stats.error(), "top-level tagged fields");
    return std::nullopt;
  }
  if (stats->addresses > 0) ctx_.metrics->count_rewrite(entry_.api_key);
  if (stats->node_endpoints_dropped) {
    ctx_.metrics->count_node_endpoints_dropped();
    spdlog::debug("fetch v{} response: NodeEndpoints did not fit the {}-byte reserve, dropped",
                  entry_.api_version, reserve_);
  }
  return protocol::bytes_view(end_);
}

}  // namespace kpp::net
