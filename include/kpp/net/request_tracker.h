// What a session knows about the requests it forwarded: the in-flight FIFO, the SASL v0
// raw-token state, acks=0 Produce, and the action for each frame in either direction. Pure:
// no sockets, no logging, no metrics; the session turns its outcomes into I/O and counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "kpp/net/close_reason.h"
#include "kpp/net/inflight_fifo.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

// What the pump does with the frame that starts at the bytes it was shown.
enum class frame_verdict : std::uint8_t {
  forward,   // pass the frame through untouched, streamed through the pump's buffer
  assemble,  // gather the whole payload, rewrite it, write the result
  // Rewrite the frame as its bytes go by (flexible Fetch: its KIP-951 NodeEndpoints is at the
  // end), through the handler's streamed_rewrite (frame_pump.h): never assembled.
  stream_rewrite,
  // Gather the whole payload and hand it to the handler, writing nothing: the answer to a
  // request the proxy sent itself (a KIP-368 re-authentication step).
  consume,
  need_more,  // decide once `need` payload bytes are buffered
  fail,       // protocol error: close the session with `cause`
};

struct frame_outcome {
  frame_verdict verdict = frame_verdict::forward;
  std::size_t need = 0;  // need_more: payload bytes wanted before deciding
  protocol_error_cause cause{};
  std::string message;   // fail: what was wrong, for the log
  inflight_entry entry;  // responses: the request this frame answers
};

// A SaslHandshake response that refused the client's mechanism: both sides, for the log.
struct sasl_refusal {
  std::string asked;
  std::string offered;  // comma-separated, empty if none
};

class request_tracker {
 public:
  request_tracker(std::size_t max_in_flight, std::function<bool(std::int16_t)> forbidden)
      : fifo_(max_in_flight), forbidden_(std::move(forbidden)) {}

  // Smallest valid frame size field in each direction right now: a raw SASL token (after
  // SaslHandshake v0) and its answer have no Kafka header and may be empty.
  [[nodiscard]] std::size_t min_request_size() const noexcept;
  [[nodiscard]] std::size_t min_response_size() const noexcept;

  // A new request must wait for a response first: the FIFO is full of answered requests.
  [[nodiscard]] bool must_wait() const noexcept {
    return fifo_.full() && !fifo_.front().response_optional;
  }

  // A request frame of `frame_size` payload bytes whose first bytes are `head`. On forward
  // the request is recorded; on need_more nothing changed.
  frame_outcome on_request(protocol::bytes_view head, std::size_t frame_size);

  // A response frame whose first payload bytes are `head`. On forward, assemble and consume
  // the request it answers leaves the FIFO (and is returned in `entry`).
  frame_outcome on_response(protocol::bytes_view head, std::size_t frame_size);

  // The proxy's own request, written upstream between the client's (re-authentication): its
  // answer comes back as `consume`. The caller sends it only when no client request awaits an
  // answer; the correlation id comes from proxy_correlation_id. False (nothing recorded) when
  // the FIFO is full of requests that will be answered.
  [[nodiscard]] bool on_proxy_request(std::int16_t api_key, std::int16_t api_version,
                                      std::int32_t correlation_id);
  // A correlation id for the proxy's own request, from `hint` on, that no request in flight
  // uses (an acks=0 Produce a mock broker answers must not be mistaken for it).
  [[nodiscard]] std::int32_t proxy_correlation_id(std::int32_t hint) const noexcept;

  // Set by on_response when the broker refused the client's SASL mechanism; taken once.
  std::optional<sasl_refusal> take_sasl_refusal() { return std::exchange(sasl_refusal_, {}); }

  // Requests that will get a response (acks=0 Produce will not, from Apache Kafka).
  [[nodiscard]] std::size_t awaiting() const noexcept { return awaiting_; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return fifo_.size(); }

 private:
  void pop() noexcept;
  std::optional<frame_outcome> raw_sasl_request(protocol::bytes_view head);

  inflight_fifo fifo_;
  std::function<bool(std::int16_t)> forbidden_;
  std::size_t awaiting_ = 0;
  bool sasl_raw_ = false;       // after SaslHandshake v0: raw tokens until a Kafka request
  std::string sasl_mechanism_;  // from the client's SaslHandshake, for the diagnostic
  std::optional<sasl_refusal> sasl_refusal_;
};

}  // namespace kpp::net
