#include "kpp/net/frame_pump.h"

#include <algorithm>
#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <utility>

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using protocol::bytes_view;
using tcp = asio::ip::tcp;

namespace {

std::uint32_t load_be32(const std::byte* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

bool would_block(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

// Gather list for one write: the ranges of the read buffer that are forwarded as they are.
struct frame_pump::gather {
  static constexpr std::size_t max = 16;
  std::array<asio::const_buffer, max> items;
  std::size_t count = 0;
  std::size_t bytes = 0;
  void add(const std::byte* p, std::size_t n) {
    if (count > 0 &&
        static_cast<const std::byte*>(items[count - 1].data()) + items[count - 1].size() == p) {
      items[count - 1] = asio::const_buffer(items[count - 1].data(), items[count - 1].size() + n);
    } else {
      items[count++] = asio::const_buffer(p, n);
    }
    bytes += n;
  }
  [[nodiscard]] bool is_full() const { return count == max; }
  void clear() {
    count = 0;
    bytes = 0;
  }
};

frame_pump::~frame_pump() {
  // The session ended mid-assembly, or the allocation after the reservation threw.
  if (reserved_ > 0) handler_.release(reserved_);
}

// Queues what is buffered of a forwarded frame's remaining bytes; false at a frame start.
bool frame_pump::forward_body(gather& out) {
  if (body_left_ == 0) return false;
  const auto take = std::min(body_left_, end_ - begin_);
  out.add(buf_.data() + begin_, take);
  begin_ += take;
  body_left_ -= take;
  return true;
}

// Reads more into the buffer. Returns the byte count, 0 at end or error. Reads first (the
// sockets are non-blocking; under load the bytes are usually there, which saves a reactor
// trip); when nothing is there and nothing is buffered, gives the buffer back before it waits,
// so an idle connection owns no stream buffer.
awaitable<std::size_t> frame_pump::fill(error_code& ec) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0) {  // keep an incomplete frame start at the front
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  for (;;) {
    if (buf_.empty()) buf_ = pooled_buffer(buffer_size_);
    const auto room = asio::buffer(buf_.data() + end_, buffer_size_ - end_);
    auto* const plain = from_.plain_socket();
    const auto n = plain ? plain->read_some(room, ec) : from_.try_read_some(room, ec);
    if (!ec) {
      end_ += n;
      state_.last_read = std::chrono::steady_clock::now();
      co_return n;
    }
    if (!would_block(ec)) co_return 0;
    ec.clear();
    if (end_ == 0 && !in_frame()) buf_.release();
    if (plain) {
      co_await plain->async_wait(tcp::socket::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await from_.wait_readable(ec);
    }
    if (ec || handler_.closed()) co_return 0;
  }
}

awaitable<bool> frame_pump::write(std::span<const asio::const_buffer> bufs, std::size_t bytes,
                                  error_code& ec) {
  state_.writing = true;
  state_.write_started = std::chrono::steady_clock::now();
  state_.bytes_in_flight = bytes;
  if (auto* plain = to_.plain_socket()) {
    co_await asio::async_write(*plain, bufs, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await to_.write(bufs, ec);
  }
  state_.writing = false;
  state_.bytes_in_flight = 0;
  if (!ec) handler_.forwarded(bytes);
  co_return !ec;
}

awaitable<bool> frame_pump::flush(gather& out, error_code& ec) {
  if (out.count == 0) co_return true;
  const bool ok = co_await write(std::span<const asio::const_buffer>(out.items.data(), out.count),
                                 out.bytes, ec);
  out.clear();
  co_return ok;
}

// Feeds what is buffered of the frame being rewritten as it goes by; at its last byte, writes
// the rewriter's end right away (it lives in the rewriter's buffer only until the next frame).
awaitable<bool> frame_pump::stream_step(gather& out, error_code& ec) {
  const bytes_view chunk(buf_.data() + begin_, std::min(end_ - begin_, stream_left_));
  const auto step = streamed_->feed(chunk);
  if (!step || step->taken == 0 || step->taken > chunk.size() || step->forward > step->taken)
    co_return false;
  if (step->forward > 0) out.add(buf_.data() + begin_, step->forward);
  begin_ += step->taken;
  stream_left_ -= step->taken;
  if (stream_left_ > 0) co_return true;
  const auto end = streamed_->finish();
  if (!end || end->empty()) co_return false;
  streamed_ = nullptr;
  if (out.is_full() && !co_await flush(out, ec)) co_return false;
  out.add(end->data(), end->size());
  const bool ok = co_await flush(out, ec);
  update_mid_frame();
  co_return ok;
}

awaitable<pump_result> frame_pump::run() {
  gather out;
  pump_result result;
  const auto stop = [&](pump_end end) {
    result.end = end;
    update_mid_frame();
    return result;
  };
  for (;;) {
    // Walk the buffered bytes; stop when a frame start needs more bytes than are here.
    bool want_read = true;
    bool stopping = false;
    while (begin_ < end_ && !stopping) {
      if (out.is_full()) {
        want_read = false;
        break;
      }
      if (forward_body(out)) {
        // The buffer is used up and the body goes on: let the kernel move the rest.
        if (splice_min_ > 0 && body_left_ >= splice_min_ && begin_ == end_) {
          if (!co_await splice_run(out, body_left_, result)) co_return stop(result.end);
        }
        continue;
      }
      if (streamed_) {
        error_code ec;
        if (!co_await stream_step(out, ec)) {
          result.ec = ec;
          co_return stop(ec ? pump_end::write_error : pump_end::stopped);
        }
        // Records the rewriter only skips may go by the kernel too.
        if (streamed_ && splice_min_ > 0 && begin_ == end_) {
          const auto ahead = std::min(streamed_->skippable(), stream_left_);
          if (ahead >= splice_min_) {
            if (!co_await splice_run(out, ahead, result)) co_return stop(result.end);
            if (body_left_ == 0) {  // they went: the rewriter skips them unseen
              if (!streamed_->skip_unseen(ahead)) co_return stop(pump_end::stopped);
              stream_left_ -= ahead;
            }
            body_left_ = 0;
            update_mid_frame();
          }
        }
        continue;
      }
      std::byte* p = buf_.data() + begin_;
      const std::size_t avail = end_ - begin_;
      if (assemble_size_ > 0) {
        const auto take = std::min(assemble_size_ - assembled_have_, avail);
        std::memcpy(assembled_.get() + assembled_have_, p, take);
        assembled_have_ += take;
        begin_ += take;
        if (assembled_have_ < assemble_size_) {
          // The read buffer is used up: read the rest of this frame straight into place
          // rather than through the stream buffer (one copy less for large responses). Each
          // read counts as activity: a large answer arriving slowly is not a silent broker.
          error_code ec;
          while (assembled_have_ < assemble_size_ && !ec && !handler_.closed()) {
            assembled_have_ += co_await from_.read_some(
                asio::buffer(assembled_.get() + assembled_have_, assemble_size_ - assembled_have_),
                ec);
            state_.last_read = std::chrono::steady_clock::now();
          }
          if (ec || handler_.closed()) {
            result.ec = ec;
            result.partial = assembled_have_;
            result.partial_of = assemble_size_;
            result.mid_frame = true;
            co_return stop(ec == asio::error::eof ? pump_end::read_eof : pump_end::read_error);
          }
        }
        // What was gathered before this frame goes first: frames keep their order.
        error_code ec;
        if (!co_await flush(out, ec)) {
          result.ec = ec;
          co_return stop(pump_end::write_error);
        }
        if (assembling_.verdict == frame_verdict::consume) {
          const bool taken =
              handler_.consume(assembling_, bytes_view(assembled_.get(), assemble_size_));
          assembled_.reset();
          handler_.release(std::exchange(reserved_, 0));
          assemble_size_ = assembled_have_ = 0;
          update_mid_frame();
          if (!taken) co_return stop(pump_end::stopped);
          continue;
        }
        const auto rewritten =
            handler_.rewrite(assembling_, bytes_view(assembled_.get(), assemble_size_));
        if (!rewritten) co_return stop(pump_end::stopped);
        const auto total = rewritten->size();
        const auto n = static_cast<std::uint32_t>(total);
        const std::array<std::byte, 4> size{std::byte(n >> 24), std::byte(n >> 16),
                                            std::byte(n >> 8), std::byte(n)};
        std::array<asio::const_buffer, 4> bufs{asio::buffer(size)};
        std::size_t count = 1;
        for (const auto part : rewritten->parts) {
          if (!part.empty()) bufs[count++] = asio::buffer(part.data(), part.size());
        }
        const bool ok =
            co_await write(std::span<const asio::const_buffer>(bufs.data(), count), 4 + total, ec);
        assembled_.reset();
        handler_.release(std::exchange(reserved_, 0));
        assemble_size_ = assembled_have_ = 0;
        update_mid_frame();
        if (!ok) {
          result.ec = ec;
          co_return stop(pump_end::write_error);
        }
        continue;
      }
      if (!first_seen_ && avail >= 3) {  // (a TLS alert is only 7 bytes: look before 8)
        first_seen_ = true;
        if (!handler_.first_bytes(bytes_view(p, avail))) co_return stop(pump_end::stopped);
      }
      if (!handler_.take_frame()) {
        stopping = true;
        break;
      }
      if (avail < 4) break;
      const std::uint32_t size = load_be32(p);
      if (size < handler_.min_frame_size() || size > max_frame_size_) {
        handler_.bad_frame_size(size, bytes_view(p, avail));
        co_return stop(pump_end::stopped);
      }
      if (avail < 4 + std::min<std::size_t>(size, 4)) break;
      if (handler_.must_wait()) {
        // Mute the source until the other direction drains, as a broker does: no queue.
        if (out.count) {
          want_read = false;
          break;
        }
        if (!co_await handler_.wait() || handler_.closed()) co_return stop(pump_end::stopped);
        continue;
      }
      auto frame =
          handler_.on_frame(bytes_view(p + 4, std::min<std::size_t>(size, avail - 4)), size);
      if (frame.verdict == frame_verdict::fail) co_return stop(pump_end::stopped);
      if (frame.verdict == frame_verdict::need_more) {
        // The handler asked for bytes that are already here, or more than the buffer holds.
        if (avail >= 4 + frame.need || 4 + frame.need > buffer_size_) {
          handler_.bad_frame_size(size, bytes_view(p, avail));
          co_return stop(pump_end::stopped);
        }
        break;
      }
      if (frame.verdict == frame_verdict::forward) {
        body_left_ = 4 + std::size_t{size};
        update_mid_frame();
        continue;
      }
      if (frame.verdict == frame_verdict::stream_rewrite) {
        // The source's size is replaced by the rewriter's; the payload follows as it comes.
        streamed_ = handler_.start_streamed(frame, size);
        if (!streamed_) co_return stop(pump_end::stopped);
        const auto n = static_cast<std::uint32_t>(streamed_->announced_size());
        announced_ = {std::byte(n >> 24), std::byte(n >> 16), std::byte(n >> 8), std::byte(n)};
        out.add(announced_.data(), announced_.size());
        stream_left_ = size;
        begin_ += 4;
        update_mid_frame();
        continue;
      }
      // Assemble (or consume): the payload only, the size is written anew. Wait for memory
      // first.
      assemble_size_ = size;
      assembling_ = std::move(frame);
      begin_ += 4;
      update_mid_frame();
      if (!co_await handler_.reserve(size)) {
        assemble_size_ = 0;
        co_return stop(pump_end::stopped);
      }
      reserved_ = size;
      assembled_ = std::make_unique_for_overwrite<std::byte[]>(size);
      assembled_have_ = 0;
    }
    {
      error_code ec;
      if (!co_await flush(out, ec)) {
        result.ec = ec;
        co_return stop(pump_end::write_error);
      }
      if (handler_.closed()) co_return stop(pump_end::stopped);
      update_mid_frame();
      if (stopping || !handler_.at_rest()) co_return stop(pump_end::stopped);
      if (!want_read) continue;
      if (co_await fill(ec) == 0) {
        result.ec = ec;
        result.mid_frame = in_frame() || end_ > begin_;
        if (!first_seen_ && end_ > begin_) {
          first_seen_ = true;
          if (!handler_.first_bytes(bytes_view(buf_.data() + begin_, end_ - begin_)))
            co_return stop(pump_end::stopped);
        }
        co_return stop(!ec || ec == asio::error::eof ? pump_end::read_eof : pump_end::read_error);
      }
    }
  }
}

}  // namespace kpp::net
