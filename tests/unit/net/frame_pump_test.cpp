// frame_pump over in-memory byte streams: frames split across reads, a frame cut by the end
// of the source, backpressure from a slow destination, a failed or throwing write, assembled
// frames written as pieces, half-close, and acks=0 Produce leaving a direction quiet.
#include "kpp/net/frame_pump.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <vector>

#include "kpp/net/memory_budget.h"
#include "kpp/net/request_tracker.h"
#include "unit/protocol/byte_builder.h"

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;
using kpp::net::byte_stream;
using kpp::net::direction_state;
using kpp::net::frame_handler;
using kpp::net::frame_outcome;
using kpp::net::frame_pump;
using kpp::net::frame_verdict;
using kpp::net::memory_budget;
using kpp::net::payload_pieces;
using kpp::net::pump_end;
using kpp::net::pump_result;
using kpp::protocol::bytes_view;
using kpp::test::byte_builder;

using bytes = std::vector<std::byte>;

// An in-memory stream on one io_context. Reads hand out the fed chunks one at a time (a
// chunk larger than the reader's buffer is handed out in parts); a read with nothing fed
// waits until something is. Writes append to `written`, or fail, throw, or wait at a gate.
class fake_stream final : public byte_stream {
 public:
  enum class write_mode { ok, fail, throw_bad_alloc, gated };

  explicit fake_stream(asio::io_context& io) : socket_(io), readable_(io), gate_(io) {
    readable_.expires_at(std::chrono::steady_clock::time_point::max());
    gate_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  void feed(bytes chunk) {
    chunks_.push_back(std::move(chunk));
    readable_.cancel();
  }
  void end() {
    eof_ = true;
    readable_.cancel();
  }
  void throw_on_read() {
    throw_on_read_ = true;
    readable_.cancel();
  }
  void open_gate() {
    mode = write_mode::ok;
    gate_.cancel();
  }

  std::size_t try_read_some(asio::mutable_buffer buf, error_code& ec) override {
    if (throw_on_read_) throw std::runtime_error("injected read failure");
    ec.clear();
    if (closed_) {
      ec = asio::error::bad_descriptor;
      return 0;
    }
    if (chunks_.empty()) {
      if (eof_) {
        ec = asio::error::eof;
      } else {
        ec = asio::error::would_block;
      }
      return 0;
    }
    auto& front = chunks_.front();
    const auto n = std::min(buf.size(), front.size() - front_at_);
    std::memcpy(buf.data(), front.data() + front_at_, n);
    front_at_ += n;
    consumed += n;
    if (front_at_ == front.size()) {
      chunks_.pop_front();
      front_at_ = 0;
    }
    return n;
  }
  awaitable<void> wait_readable(error_code& ec) override {
    ec.clear();
    if (!chunks_.empty() || eof_ || throw_on_read_) co_return;
    if (closed_) {
      ec = asio::error::operation_aborted;
      co_return;
    }
    readable_.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ignored;
    co_await readable_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (closed_) ec = asio::error::operation_aborted;
  }
  awaitable<std::size_t> read_some(asio::mutable_buffer buf, error_code& ec) override {
    for (;;) {
      const auto n = try_read_some(buf, ec);
      if (ec != asio::error::would_block) co_return n;
      co_await wait_readable(ec);
      if (ec) co_return 0;
    }
  }
  awaitable<void> write(std::span<const asio::const_buffer> bufs, error_code& ec) override {
    ec.clear();
    ++write_calls;
    if (mode == write_mode::gated) {
      error_code ignored;
      co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (mode == write_mode::throw_bad_alloc) throw std::bad_alloc();
    if (mode == write_mode::fail || closed_) {
      ec = asio::error::broken_pipe;
      co_return;
    }
    for (const auto& b : bufs) {
      const auto* p = static_cast<const std::byte*>(b.data());
      written.insert(written.end(), p, p + b.size());
    }
  }
  void shutdown_send(error_code& ec) override {
    ec.clear();
    shut = true;
  }
  void close() noexcept override {
    closed_ = true;
    readable_.cancel();
    gate_.cancel();
  }
  tcp::socket& socket() noexcept override { return socket_; }

  write_mode mode = write_mode::ok;
  bytes written;
  std::size_t consumed = 0;  // bytes handed to readers
  int write_calls = 0;
  bool shut = false;

 private:
  tcp::socket socket_;
  asio::steady_timer readable_;
  asio::steady_timer gate_;
  std::deque<bytes> chunks_;
  std::size_t front_at_ = 0;
  bool eof_ = false;
  bool closed_ = false;
  bool throw_on_read_ = false;
};

// A handler that forwards every frame unless `verdict` says otherwise; assembled frames take
// their memory from a real memory_budget and are rewritten by `rewriter`.
class test_handler final : public frame_handler {
 public:
  bool closed() const noexcept override { return closed_; }
  bool take_frame() override { return true; }
  std::size_t min_frame_size() const noexcept override { return 4; }
  void bad_frame_size(std::uint32_t size, bytes_view) override {
    bad_size = size;
    closed_ = true;
  }
  bool must_wait() const noexcept override { return must_wait_fn && must_wait_fn(); }
  frame_outcome on_frame(bytes_view head, std::size_t frame_size) override {
    ++frames;
    if (on_frame_fn) return on_frame_fn(head, frame_size);
    frame_outcome o;
    o.verdict = verdict;
    return o;
  }
  awaitable<bool> reserve(std::size_t size) override {
    co_return budget.acquire_or_wait(size, 1 << 30, [] {});
  }
  void release(std::size_t size) noexcept override { budget.release(size); }
  std::optional<payload_pieces> rewrite(const frame_outcome&, bytes_view payload) override {
    if (rewriter) return rewriter(payload);
    return payload_pieces{{payload}};
  }
  bool consume(const frame_outcome&, bytes_view payload) override {
    consumed.emplace_back(payload.begin(), payload.end());
    return true;
  }
  void forwarded(std::size_t n) noexcept override { forwarded_bytes += n; }

  std::vector<bytes> consumed;
  frame_verdict verdict = frame_verdict::forward;
  std::function<frame_outcome(bytes_view, std::size_t)> on_frame_fn;
  std::function<bool()> must_wait_fn;
  std::function<std::optional<payload_pieces>(bytes_view)> rewriter;
  memory_budget budget;
  std::size_t forwarded_bytes = 0;
  int frames = 0;
  std::uint32_t bad_size = 0;
  bool closed_ = false;
};

// A frame: size, then `payload_size` bytes counting up from `seed`.
bytes frame(std::size_t payload_size, std::uint8_t seed = 0) {
  byte_builder b;
  b.i32(static_cast<std::int32_t>(payload_size));
  for (std::size_t i = 0; i < payload_size; ++i) b.raw({static_cast<std::uint8_t>(seed + i)});
  return std::move(b).bytes();
}

bytes concat(std::initializer_list<bytes> parts) {
  bytes all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

// Runs one pump as a coroutine on `io`; poll() runs it until it waits for the test.
struct pump_run {
  pump_run(asio::io_context& io, frame_pump& pump) : io_(io) {
    asio::co_spawn(
        io, [this, &pump]() -> awaitable<void> { result = co_await pump.run(); },
        [this](const std::exception_ptr& e) {
          error = e;
          done = true;
        });
  }
  void poll() {
    io_.restart();
    io_.poll();
  }
  asio::io_context& io_;
  std::optional<pump_result> result;
  std::exception_ptr error;
  bool done = false;
};

constexpr std::size_t buffer_size = 64;
constexpr std::size_t max_frame = 1 << 20;

struct FramePump : ::testing::Test {
  asio::io_context io;
  fake_stream from{io};
  fake_stream to{io};
  direction_state state;
  test_handler handler;
  frame_pump pump{from, to, state, handler, buffer_size, max_frame};
};

TEST_F(FramePump, FramesSplitAcrossReadsArriveWhole) {
  const auto all = concat({frame(10, 1), frame(200, 2), frame(4, 3), frame(63, 4)});
  // One byte at a time, then the rest in one chunk larger than the buffer.
  pump_run run(io, pump);
  for (std::size_t i = 0; i < 30; ++i) {
    from.feed(bytes(all.begin() + static_cast<long>(i), all.begin() + static_cast<long>(i) + 1));
    run.poll();
  }
  EXPECT_TRUE(state.mid_frame);  // inside the 200-byte frame
  from.feed(bytes(all.begin() + 30, all.end()));
  from.end();
  run.poll();
  ASSERT_TRUE(run.done);
  ASSERT_FALSE(run.error);
  EXPECT_EQ(run.result->end, pump_end::read_eof);
  EXPECT_FALSE(run.result->mid_frame);
  EXPECT_EQ(to.written, all);
  EXPECT_EQ(handler.frames, 4);
  EXPECT_EQ(handler.forwarded_bytes, all.size());
  EXPECT_FALSE(state.mid_frame);
}

TEST_F(FramePump, SourceEndingInsideAFrameIsReportedMidFrame) {
  const auto f = frame(100);
  pump_run run(io, pump);
  from.feed(bytes(f.begin(), f.begin() + 50));
  from.end();
  run.poll();
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.result->end, pump_end::read_eof);
  EXPECT_TRUE(run.result->mid_frame);
}

TEST_F(FramePump, FrameSizeOutsideTheLimitsStops) {
  pump_run run(io, pump);
  from.feed(byte_builder{}.i32(2).raw({1, 2}).bytes());  // below min_frame_size
  run.poll();
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.result->end, pump_end::stopped);
  EXPECT_EQ(handler.bad_size, 2u);
  EXPECT_TRUE(to.written.empty());
}

TEST_F(FramePump, SlowDestinationStopsTheSource) {
  to.mode = fake_stream::write_mode::gated;
  bytes all;
  for (int i = 0; i < 100; ++i) {
    const auto f = frame(40, static_cast<std::uint8_t>(i));
    all.insert(all.end(), f.begin(), f.end());
  }
  from.feed(all);
  pump_run run(io, pump);
  run.poll();
  // One buffer's worth is read and being written; nothing more is read meanwhile.
  EXPECT_EQ(to.write_calls, 1);
  EXPECT_LE(from.consumed, buffer_size);
  EXPECT_TRUE(state.writing);
  EXPECT_GT(state.bytes_in_flight, 0u);
  to.open_gate();
  from.end();
  run.poll();
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.result->end, pump_end::read_eof);
  EXPECT_EQ(to.written, all);
  EXPECT_FALSE(state.writing);
}

TEST_F(FramePump, FailedWriteStopsThePump) {
  to.mode = fake_stream::write_mode::fail;
  from.feed(concat({frame(10), frame(10)}));
  pump_run run(io, pump);
  run.poll();
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.result->end, pump_end::write_error);
  EXPECT_EQ(run.result->ec, error_code(asio::error::broken_pipe));
  EXPECT_FALSE(state.writing);  // no flag left set for the watchdog
  EXPECT_EQ(to.write_calls, 1);
}

TEST_F(FramePump, AssembledFrameIsWrittenAsPiecesAroundTheChange) {
  handler.verdict = frame_verdict::assemble;
  const bytes change = byte_builder{}.raw({0xAA, 0xBB, 0xCC}).bytes();
  handler.rewriter = [&](bytes_view payload) {
    // Replace bytes [10, 20) of the payload by three new ones.
    return payload_pieces{{payload.first(10), bytes_view(change), payload.subspan(20)}};
  };
  const auto f = frame(300, 7);  // larger than the stream buffer: read in place
  pump_run run(io, pump);
  from.feed(f);
  from.end();
  run.poll();
  ASSERT_TRUE(run.done);
  ASSERT_FALSE(run.error);
  bytes want = byte_builder{}.i32(300 - 10 + 3).bytes();
  want.insert(want.end(), f.begin() + 4, f.begin() + 14);
  want.insert(want.end(), change.begin(), change.end());
  want.insert(want.end(), f.begin() + 24, f.end());
  EXPECT_EQ(to.written, want);
  EXPECT_EQ(handler.budget.in_use(), 0u);
}

// The answer to the proxy's own request (a re-authentication step) goes to the handler, not
// to the destination; the frames around it are forwarded in order.
TEST_F(FramePump, ConsumedFrameIsHandedOverAndNotWritten) {
  int n = 0;
  handler.on_frame_fn = [&](bytes_view, std::size_t) {
    frame_outcome o;
    o.verdict = ++n == 2 ? frame_verdict::consume : frame_verdict::forward;
    return o;
  };
  const auto a = frame(10, 1);
  const auto mine = frame(100, 2);  // larger than the stream buffer: read in place
  const auto c = frame(5, 3);
  pump_run run(io, pump);
  from.feed(concat({a, mine, c}));
  from.end();
  run.poll();
  ASSERT_TRUE(run.done);
  ASSERT_FALSE(run.error);
  EXPECT_EQ(to.written, concat({a, c}));
  ASSERT_EQ(handler.consumed.size(), 1u);
  EXPECT_EQ(handler.consumed[0], bytes(mine.begin() + 4, mine.end()));
  EXPECT_EQ(handler.budget.in_use(), 0u);
  EXPECT_FALSE(state.mid_frame);
}

TEST_F(FramePump, AThrowingWriteGivesTheBudgetBack) {
  handler.verdict = frame_verdict::assemble;
  to.mode = fake_stream::write_mode::throw_bad_alloc;
  {
    frame_pump local(from, to, state, handler, buffer_size, max_frame);
    pump_run run(io, local);
    from.feed(frame(100));
    run.poll();
    ASSERT_TRUE(run.done);
    ASSERT_TRUE(run.error);  // the pump lets it through to the session's boundary
    EXPECT_THROW(std::rethrow_exception(run.error), std::bad_alloc);
  }
  EXPECT_EQ(handler.budget.in_use(), 0u) << "the assembled frame's memory was never given back";
}

TEST_F(FramePump, AThrowingReadReachesTheCaller) {
  pump_run run(io, pump);
  from.feed(frame(10));
  run.poll();
  from.throw_on_read();
  run.poll();
  ASSERT_TRUE(run.done);
  ASSERT_TRUE(run.error);
  EXPECT_THROW(std::rethrow_exception(run.error), std::runtime_error);
  EXPECT_EQ(to.written, frame(10));
}

// The client shuts its write side after two requests: the request pump ends cleanly (not mid
// frame), while the response pump goes on writing the answers to the same client stream.
TEST(FramePumpHalfClose, ResponsesStillReachAClientThatStoppedSending) {
  asio::io_context io;
  fake_stream client(io);
  fake_stream upstream(io);
  direction_state requests, responses;
  test_handler request_side, response_side;
  frame_pump request_pump(client, upstream, requests, request_side, buffer_size, max_frame);
  frame_pump response_pump(upstream, client, responses, response_side, buffer_size, max_frame);
  pump_run req(io, request_pump);
  pump_run resp(io, response_pump);
  client.feed(concat({frame(12, 1), frame(12, 2)}));
  client.end();
  req.poll();
  ASSERT_TRUE(req.done);
  EXPECT_EQ(req.result->end, pump_end::read_eof);
  EXPECT_FALSE(req.result->mid_frame);
  EXPECT_FALSE(resp.done);
  const auto answers = concat({frame(30, 3), frame(30, 4)});
  upstream.feed(answers);
  resp.poll();
  EXPECT_EQ(client.written, answers);
  EXPECT_FALSE(resp.done);  // still waiting for more from upstream
  upstream.end();
  resp.poll();
  ASSERT_TRUE(resp.done);
  EXPECT_EQ(resp.result->end, pump_end::read_eof);
}

// acks=0 Produce is forwarded and never answered: after it the direction is quiet and
// nothing is awaited, which is what lets the watchdog call the connection idle.
TEST(FramePumpAcksZero, ProduceOnlyConnectionIsQuietAfterwards) {
  asio::io_context io;
  fake_stream client(io);
  fake_stream upstream(io);
  direction_state requests;
  kpp::net::request_tracker tracker(4, [](std::int16_t) { return false; });
  test_handler side;
  side.on_frame_fn = [&](bytes_view head, std::size_t size) {
    return tracker.on_request(head, size);
  };
  side.must_wait_fn = [&] { return tracker.must_wait(); };
  frame_pump pump(client, upstream, requests, side, buffer_size, max_frame);
  pump_run run(io, pump);
  bytes all;
  for (std::int32_t corr = 0; corr < 10; ++corr) {  // more than max_in_flight
    const auto payload = byte_builder{}
                             .i16(0)  // Produce v3
                             .i16(3)
                             .i32(corr)
                             .str("client")
                             .null_str()  // transactional id
                             .i16(0)      // acks=0
                             .i32(1000)
                             .array(0)
                             .bytes();
    const auto f =
        concat({byte_builder{}.i32(static_cast<std::int32_t>(payload.size())).bytes(), payload});
    all.insert(all.end(), f.begin(), f.end());
  }
  client.feed(all);
  run.poll();
  EXPECT_FALSE(run.done);  // waiting for more requests, not for FIFO space
  EXPECT_EQ(upstream.written, all);
  EXPECT_EQ(tracker.awaiting(), 0u);
  EXPECT_FALSE(requests.mid_frame);
  EXPECT_FALSE(requests.writing);
  client.end();
  run.poll();
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.result->end, pump_end::read_eof);
}

}  // namespace
