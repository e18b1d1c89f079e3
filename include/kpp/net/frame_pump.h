// The loop that moves Kafka frames in one direction of a session, written once for both:
// read what the source has into a pooled buffer, walk the frame boundaries in it, and forward
// whole runs of bytes with one gather write before reading again, so a slow reader on the far
// side stops this side (backpressure, no queue). What to do with each frame is the
// direction's business (frame_handler); the pump owns buffering, assembly and writes.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "kpp/net/buffer_pool.h"
#include "kpp/net/byte_stream.h"
#include "kpp/net/request_tracker.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

// One direction's write and progress state; the session's watchdog reads both directions.
struct direction_state {
  bool writing = false;  // a write is under way, since write_started
  std::chrono::steady_clock::time_point write_started{};
  std::size_t bytes_in_flight = 0;  // bytes of the write under way
  bool mid_frame = false;           // a frame is partly forwarded or being assembled
  bool waiting_memory = false;      // for limits.assembled_memory: reading nothing meanwhile
  std::chrono::steady_clock::time_point last_read = std::chrono::steady_clock::now();
};

// Why a pump stopped. The session closes on every end but a clean end of the client's
// requests (half-close), so no failure can leave the other pump waiting.
enum class pump_end : std::uint8_t {
  stopped,      // the handler said so (it has closed the session, or is draining)
  read_eof,     // the source closed cleanly
  read_error,   // reading the source failed
  write_error,  // writing the destination failed
};

struct pump_result {
  pump_end end = pump_end::stopped;
  boost::system::error_code ec;
  bool mid_frame = false;   // the source ended inside a frame
  std::size_t partial = 0;  // assemble: payload bytes read of `partial_of`
  std::size_t partial_of = 0;
};

// A frame rewritten while its bytes go by rather than assembled (flexible Fetch): announced
// at a size fixed before its body is read, its bytes forwarded as the rewriter says, and an
// end written last, so the frame costs the pump's buffer whatever its size.
class streamed_rewrite {
 public:
  virtual ~streamed_rewrite() = default;
  // The payload size to announce instead of the source's.
  [[nodiscard]] virtual std::size_t announced_size() const noexcept = 0;
  // The next payload bytes (never past the frame's end): of the leading `taken` bytes, the
  // first `forward` go out as they are, the rest are the rewriter's to keep. Empty optional to
  // stop (it has failed).
  struct step {
    std::size_t taken = 0;
    std::size_t forward = 0;
  };
  virtual std::optional<step> feed(protocol::bytes_view chunk) = 0;
  // After the last payload byte: what ends the frame, exactly announced_size() minus what was
  // forwarded; valid until the next frame starts. Empty optional to stop (it has failed).
  virtual std::optional<protocol::bytes_view> finish() = 0;
  // Payload bytes just ahead that the rewriter would only skip (a Records blob): the pump may
  // forward up to that many without feeding them, then calls skip_unseen. False: it failed.
  [[nodiscard]] virtual std::size_t skippable() const noexcept { return 0; }
  virtual bool skip_unseen(std::size_t /*n*/) { return false; }
};

// An assembled frame's payload as it is written: up to three pieces in order, typically the
// source's payload around a change (its kept head, the new bytes, its kept tail), so a rewrite
// needs a buffer only the size of what it changed. Empty pieces are skipped.
struct payload_pieces {
  std::array<protocol::bytes_view, 3> parts{};
  [[nodiscard]] std::size_t size() const noexcept {
    return parts[0].size() + parts[1].size() + parts[2].size();
  }
};

// What one direction does with its frames. The pump calls it from its own coroutine only.
class frame_handler {
 public:
  virtual ~frame_handler() = default;
  // The session is closed: stop at once.
  [[nodiscard]] virtual bool closed() const noexcept = 0;
  // False: take no new frame (draining); the pump flushes what it gathered and stops.
  virtual bool take_frame() = 0;
  // Smallest valid frame size field here.
  [[nodiscard]] virtual std::size_t min_frame_size() const noexcept = 0;
  // A frame size field outside [min_frame_size, max_frame_size]: log, count, close.
  virtual void bad_frame_size(std::uint32_t size, protocol::bytes_view head) = 0;
  // Backpressure before a new frame: true to wait() first.
  [[nodiscard]] virtual bool must_wait() const noexcept { return false; }
  // Waits until must_wait() may have changed; false to stop.
  virtual boost::asio::awaitable<bool> wait() { co_return true; }
  // Looks at the first bytes this source sent (once); false to stop (it has failed).
  virtual bool first_bytes(protocol::bytes_view /*head*/) { return true; }
  // The frame of `frame_size` payload bytes whose buffered first bytes are `head`.
  virtual frame_outcome on_frame(protocol::bytes_view head, std::size_t frame_size) = 0;
  // Before assembling `size` payload bytes: wait for memory; false to stop.
  virtual boost::asio::awaitable<bool> reserve(std::size_t /*size*/) { co_return true; }
  // After an assembled frame was written (or abandoned): give the memory back.
  virtual void release(std::size_t /*size*/) noexcept {}
  // An assembled frame: returns the payload to write (itself, or pieces of it around the
  // rewritten bytes); empty optional to stop (it has failed).
  virtual std::optional<payload_pieces> rewrite(const frame_outcome& frame,
                                                protocol::bytes_view payload) = 0;
  // A consume frame, assembled: the handler takes its payload and nothing is written; false
  // to stop (it has failed).
  virtual bool consume(const frame_outcome& /*frame*/, protocol::bytes_view /*payload*/) {
    return false;
  }
  // A stream_rewrite frame of `frame_size` payload bytes starts: its rewriter (owned by the
  // handler, used until finish()), or nullptr to stop (it has failed).
  virtual streamed_rewrite* start_streamed(const frame_outcome& /*frame*/,
                                           std::size_t /*frame_size*/) {
    return nullptr;
  }
  // After each successful write of `bytes` (metrics).
  virtual void forwarded(std::size_t bytes) noexcept = 0;
  // After each flush, before reading again; false to stop (the handler closed the session,
  // e.g. a drain or half-close that has nothing more to deliver).
  virtual bool at_rest() { return true; }
};

class frame_pump {
 public:
  frame_pump(byte_stream& from, byte_stream& to, direction_state& state, frame_handler& handler,
             std::size_t buffer_size, std::size_t max_frame_size)
      : from_(from),
        to_(to),
        state_(state),
        handler_(handler),
        buffer_size_(buffer_size),
        max_frame_size_(max_frame_size) {}

  ~frame_pump();
  frame_pump(const frame_pump&) = delete;
  frame_pump& operator=(const frame_pump&) = delete;

  // Pass-through bodies of at least `min_body` bytes not yet read move socket to socket with
  // splice(2) when both streams are plain TCP; 0 keeps every byte on the buffer path.
  void enable_splice(std::size_t min_body) noexcept { splice_min_ = min_body; }

  boost::asio::awaitable<pump_result> run();

 private:
  struct gather;
  boost::asio::awaitable<std::size_t> fill(boost::system::error_code& ec);
  boost::asio::awaitable<bool> write(std::span<const boost::asio::const_buffer> bufs,
                                     std::size_t bytes, boost::system::error_code& ec);
  boost::asio::awaitable<bool> flush(gather& out, boost::system::error_code& ec);
  bool forward_body(gather& out);
  // One step of a stream_rewrite frame over the buffered bytes; false to stop.
  boost::asio::awaitable<bool> stream_step(gather& out, boost::system::error_code& ec);
  // Splices the rest of a forwarded body (body_left_, none of it buffered). nullopt when it
  // could not start (no pipe): the buffer path goes on; otherwise how it ended.
  enum class splice_end : std::uint8_t { done, stopped, read_eof, read_error, write_error };
  boost::asio::awaitable<std::optional<splice_end>> splice_body(boost::system::error_code& ec);
  // Flushes `out`, then splices the next `n` bytes of the frame (none buffered) when it can;
  // body_left_ is then 0 (if it could not, body_left_ is `n`). False when the pump must stop,
  // with result.end and result.ec saying why.
  boost::asio::awaitable<bool> splice_run(gather& out, std::size_t n, pump_result& result);
  [[nodiscard]] bool in_frame() const noexcept {
    return body_left_ > 0 || in_pipe_ > 0 || assemble_size_ > 0 || streamed_ != nullptr;
  }
  void update_mid_frame() noexcept { state_.mid_frame = in_frame(); }

  byte_stream& from_;
  byte_stream& to_;
  direction_state& state_;
  frame_handler& handler_;
  std::size_t buffer_size_;
  std::size_t max_frame_size_;

  pooled_buffer buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t body_left_ = 0;  // bytes of a forwarded frame not yet written
  std::size_t splice_min_ = 0;
  std::size_t in_pipe_ = 0;  // spliced bytes read but not yet written
  bool first_seen_ = false;
  // The frame being assembled: read straight into storage that is never zero-filled.
  frame_outcome assembling_;
  std::unique_ptr<std::byte[]> assembled_;
  std::size_t assemble_size_ = 0;  // payload size, 0 if none
  std::size_t assembled_have_ = 0;
  std::size_t reserved_ = 0;  // taken through handler_.reserve, not yet released
  // The frame being rewritten as it goes by: its rewriter, the source's payload bytes still
  // to come, and the size announced instead of the source's.
  streamed_rewrite* streamed_ = nullptr;
  std::size_t stream_left_ = 0;
  std::array<std::byte, 4> announced_{};
};

}  // namespace kpp::net
