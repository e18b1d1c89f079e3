// The session's two directions: what each does with a frame, and how each pump's end closes
// (or half-closes) the session. The loop itself is frame_pump's.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "kpp/net/fetch_tail_streamer.h"
#include "kpp/net/session.h"
#include "kpp/net/traffic_classifier.h"
#include "kpp/protocol/response_rewriter.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using protocol::bytes_view;

// Client -> upstream: record each request; stop taking them when draining; wait for FIFO
// space when the client pipelines more than max_in_flight, and while the proxy renews its
// SASL login on the upstream leg (session_reauth.cpp).
class session::request_side final : public frame_handler {
 public:
  explicit request_side(session& s) : s_(s) {}

  bool closed() const noexcept override { return s_.closed_; }
  bool take_frame() override { return !s_.draining_; }
  std::size_t min_frame_size() const noexcept override { return s_.tracker_.min_request_size(); }
  void bad_frame_size(std::uint32_t size, bytes_view head) override {
    const auto min = min_frame_size();
    const auto max = s_.ctx_.settings.max_frame_size;
    if (size >= min && size <= max) {
      s_.fail(protocol_error_cause::malformed_header,
              "request header larger than the stream buffer (limits.buffer_size)");
      return;
    }
    s_.fail(
        size < min ? protocol_error_cause::malformed_header : protocol_error_cause::frame_too_large,
        describe_bad_frame_size(size, head, max, "client", "limits.max_frame_size"));
  }
  bool must_wait() const noexcept override {
    return s_.tracker_.must_wait() || s_.reauth_.now != reauth_state::phase::idle;
  }
  awaitable<bool> wait() override {
    s_.reauth_wake();  // paused between frames: the renewal may be waiting for that
    error_code ec;
    s_.fifo_space_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await s_.fifo_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !s_.closed_;
  }
  frame_outcome on_frame(bytes_view head, std::size_t frame_size) override {
    if (s_.ctx_.upstream_login) {
      auto sasl = s_.check_client_sasl(head, frame_size);
      if (sasl.verdict != frame_verdict::forward) return sasl;
    }
    auto o = s_.tracker_.on_request(head, frame_size);
    if (o.verdict == frame_verdict::fail) s_.fail(o.cause, o.message);
    if (o.verdict == frame_verdict::forward && !o.entry.raw_sasl)
      s_.ctx_.metrics->count_request(o.entry.api_key);
    return o;
  }
  std::optional<payload_pieces> rewrite(const frame_outcome& /*frame*/,
                                        bytes_view payload) override {
    return payload_pieces{{payload}};  // requests are never assembled
  }
  void forwarded(std::size_t bytes) noexcept override {
    s_.listener_->bytes_client_to_upstream.add(bytes);
  }
  bool at_rest() override {
    s_.reauth_wake();  // a request may have just gone out whole
    return true;
  }

 private:
  session& s_;
};

// Upstream -> client: match each response to the oldest request; forward it or rewrite it;
// close once draining (or half-closed) and nothing more is owed.
class session::response_side final : public frame_handler {
 public:
  explicit response_side(session& s) : s_(s) {}

  bool closed() const noexcept override { return s_.closed_; }
  bool take_frame() override { return true; }
  std::size_t min_frame_size() const noexcept override { return s_.tracker_.min_response_size(); }
  void bad_frame_size(std::uint32_t size, bytes_view head) override {
    s_.fail(size < min_frame_size() ? protocol_error_cause::malformed_header
                                    : protocol_error_cause::frame_too_large,
            describe_bad_frame_size(size, head, s_.ctx_.settings.max_frame_size,
                                    "upstream " + s_.upstream_name_, "limits.max_frame_size"));
  }
  bool first_bytes(bytes_view head) override {
    // TLS bytes from a broker we reached in plaintext.
    if (auto m = classify_upstream_bytes(head)) {
      s_.fail(m->cause, m->message + " (upstream " + s_.upstream_name_ + ")");
      return false;
    }
    return true;
  }
  frame_outcome on_frame(bytes_view head, std::size_t frame_size) override {
    auto o = s_.tracker_.on_response(head, frame_size);
    if (o.verdict == frame_verdict::fail) {
      s_.fail(o.cause, o.message);
      return o;
    }
    if (o.verdict == frame_verdict::need_more) return o;
    s_.fifo_space_.cancel();  // a request may follow
    if (auto refusal = s_.tracker_.take_sasl_refusal()) {
      s_.ctx_.metrics->count_protocol_error(protocol_error_cause::sasl_mechanism_unsupported);
      spdlog::warn(
          "{} broker {} does not offer SASL mechanism '{}' (it offers: {}); fix the "
          "client's sasl.mechanism or the broker's sasl.enabled.mechanisms "
          "[sasl_mechanism_unsupported]",
          s_.peer(), s_.upstream_name_, refusal->asked,
          refusal->offered.empty() ? "none" : refusal->offered);
    }
    return o;
  }
  awaitable<bool> reserve(std::size_t size) override {
    // Wait for the process-wide budget rather than allocate past it; this pump reads nothing
    // from its upstream meanwhile. The wake-up holds the session weakly: a session that ends
    // while waiting is not kept alive by the budget.
    const auto limit = s_.ctx_.settings.assembled_memory;
    std::weak_ptr<session> weak = s_.shared_from_this();
    auto ex = s_.client_->socket().get_executor();
    while (!s_.ctx_.assembly.acquire_or_wait(size, limit, [weak, ex] {
      asio::post(ex, [weak] {
        if (auto self = weak.lock()) self->memory_wait_.cancel();
      });
    })) {
      if (!waiting_logged_) {
        waiting_logged_ = true;
        spdlog::debug("{} waits for assembly memory ({} bytes; limits.assembled_memory)", s_.peer(),
                      size);
      }
      error_code ec;
      s_.responses_.waiting_memory = true;  // the broker is not the one keeping us waiting
      s_.memory_wait_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await s_.memory_wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      s_.responses_.waiting_memory = false;
      // timeouts.read counts the broker's silence from when this pump reads again.
      s_.read_clock_ = std::chrono::steady_clock::now();
      if (s_.closed_) co_return false;
    }
    co_return true;
  }
  void release(std::size_t size) noexcept override {
    try {
      s_.ctx_.assembly.release(size);
    } catch (const std::exception& e) {  // a wake-up could not be posted (out of memory)
      spdlog::error("{} releasing assembly memory: {}", s_.peer(), e.what());
    }
  }
  std::optional<payload_pieces> rewrite(const frame_outcome& frame, bytes_view payload) override {
    const auto& entry = frame.entry;
    // Only the changed bytes are new (for Produce and Fetch, the NodeEndpoints array): the
    // rest is written from the assembled payload itself.
    auto& out = s_.rewritten_;
    out.clear();
    if (out.capacity() > 1024 * 1024) protocol::byte_buffer().swap(out);
    auto mapper = s_.ctx_.brokers->mapper();
    auto result = protocol::splice_response(entry.action, entry.api_key, entry.api_version, payload,
                                            mapper, out);
    if (!result) {
      s_.ctx_.metrics->count_rewrite_failure(entry.api_key);
      const auto cause = result.error().code == protocol::errc::unmapped_node
                             ? protocol_error_cause::unmapped_node
                             : protocol_error_cause::rewrite_failed;
      if (spdlog::should_log(spdlog::level::debug)) {
        std::string hex;
        for (std::size_t i = 0; i < std::min<std::size_t>(payload.size(), 96); ++i)
          hex += fmt::format("{:02x}", static_cast<unsigned>(payload[i]));
        spdlog::debug("{} unrewritable response ({} bytes) starts {}", s_.peer(), payload.size(),
                      hex);
      }
      s_.fail(cause, "cannot rewrite " + std::string(protocol::to_string(entry.action)) + " v" +
                         std::to_string(entry.api_version) +
                         " response: " + result.error().describe());
      return std::nullopt;
    }
    if (!result->stats.changed) return payload_pieces{{payload}};
    s_.ctx_.metrics->count_rewrite(entry.api_key);
    return payload_pieces{
        {payload.first(result->head), bytes_view(out), payload.last(result->tail)}};
  }
  streamed_rewrite* start_streamed(const frame_outcome& frame, std::size_t frame_size) override {
    // Made at the first flexible Fetch: a connection that never fetches (a producer, an idle
    // one) does not carry it (~300 bytes).
    if (!fetch_) {
      fetch_ = std::make_unique<fetch_tail_streamer>(
          s_.ctx_,
          [&s = s_](protocol_error_cause cause, const std::string& what) { s.fail(cause, what); });
    }
    return fetch_->start(frame.entry, frame_size) ? fetch_.get() : nullptr;
  }
  bool consume(const frame_outcome& /*frame*/, bytes_view payload) override {
    return s_.take_reauth_answer(payload);
  }
  void forwarded(std::size_t bytes) noexcept override {
    s_.listener_->bytes_upstream_to_client.add(bytes);
  }
  bool at_rest() override {
    waiting_logged_ = false;
    s_.reauth_wake();  // the answers owed may all be out
    // What was rewritten is written: an idle connection keeps no buffer (ApiVersions, the
    // first answer of every connection, would otherwise stay for the connection's life).
    if (s_.rewritten_.capacity() != 0) protocol::byte_buffer().swap(s_.rewritten_);
    if ((s_.draining_ || s_.client_done_) && s_.responses_done()) {
      s_.close(s_.draining_ ? s_.drain_reason_ : close_reason::client_closed);
      return false;
    }
    return true;
  }

 private:
  session& s_;
  bool waiting_logged_ = false;
  std::unique_ptr<fetch_tail_streamer> fetch_;  // flexible Fetch responses, as they go by
};

awaitable<void> session::request_pump() {
  request_side side(*this);
  frame_pump pump(*client_, *upstream_, requests_, side, ctx_.settings.buffer_size,
                  ctx_.settings.max_frame_size);
  pump.enable_splice(ctx_.settings.splice_min_body);
  const auto r = co_await pump.run();
  if (closed_) co_return;
  if (client_sasl_) {
    co_await refuse_client_sasl();
    co_return;
  }
  switch (r.end) {
    case pump_end::stopped:  // draining: the response side closes once the rest is out
      if (responses_done()) close(drain_reason_);
      break;
    case pump_end::read_eof:
      if (r.mid_frame) {
        ctx_.metrics->count_protocol_error(protocol_error_cause::truncated_frame);
        spdlog::warn("{} closed: client closed in the middle of a request [truncated_frame]",
                     peer());
        close(close_reason::client_closed);
        break;
      }
      // Half-close: the client sent all it will; the answers to what it sent still go back.
      client_done_ = true;
      if (responses_done()) close(close_reason::client_closed);
      break;
    case pump_end::read_error:
      close(close_reason::client_io_error);
      break;
    case pump_end::write_error:
      close(close_reason::upstream_io_error);
      break;
  }
}

awaitable<void> session::response_pump() {
  // However this pump ends (an exception too), the request side stops waiting for it.
  struct on_end {
    session& s;
    ~on_end() {
      s.response_pump_running_ = false;
      s.pumps_done_.cancel();
    }
  } end{*this};
  response_side side(*this);
  frame_pump pump(*upstream_, *client_, responses_, side, ctx_.settings.buffer_size,
                  ctx_.settings.max_frame_size);
  pump.enable_splice(ctx_.settings.splice_min_body);
  const auto r = co_await pump.run();
  if (closed_) co_return;
  switch (r.end) {
    case pump_end::stopped:
      close(reason_);
      break;
    case pump_end::read_eof:
    case pump_end::read_error:
      if (reauth_.now == reauth_state::phase::exchanging) {
        reauth_failed(r.end == pump_end::read_eof
                          ? "the broker closed the connection without answering (see its log)"
                          : "reading the broker's answer failed: " + r.ec.message());
        break;
      }
      if (r.partial_of > 0) {
        spdlog::warn(
            "{} upstream {} closed in the middle of a response ({} of {} bytes) with {} "
            "request(s) in flight",
            peer(), upstream_name_, r.partial, r.partial_of, tracker_.in_flight());
      } else if (r.mid_frame || tracker_.awaiting() > 0) {
        spdlog::warn("{} upstream {} closed with {} request(s) in flight", peer(), upstream_name_,
                     tracker_.in_flight());
      }
      close(r.end == pump_end::read_eof ? close_reason::upstream_closed
                                        : close_reason::upstream_io_error);
      break;
    case pump_end::write_error:
      close(close_reason::client_io_error);
      break;
  }
}

}  // namespace kpp::net
