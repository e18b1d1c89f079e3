// The frame pump's splice(2) path (frame_pump_splice.cpp) over real loopback TCP: bodies that
// pass through, and records a streamed rewrite only skips, arrive byte for byte; a source that
// ends inside a spliced body is a mid-frame end; without plain sockets or below the threshold
// the buffer path moves the same bytes.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kpp/net/frame_pump.h"
#include "kpp/net/splice_pipe.h"

namespace kpp::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using protocol::bytes_view;

// Two connected loopback sockets.
std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  return {std::move(a), std::move(b)};
}

// Forwards every frame; counts bytes written.
class forward_all : public frame_handler {
 public:
  bool closed() const noexcept override { return false; }
  bool take_frame() override { return true; }
  std::size_t min_frame_size() const noexcept override { return 4; }
  void bad_frame_size(std::uint32_t, bytes_view) override { bad = true; }
  frame_outcome on_frame(bytes_view, std::size_t) override { return {}; }
  std::optional<payload_pieces> rewrite(const frame_outcome&, bytes_view p) override {
    return payload_pieces{{p, {}, {}}};
  }
  void forwarded(std::size_t bytes) noexcept override { total += bytes; }
  bool bad = false;
  std::size_t total = 0;
};

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = std::byte(rng());
  return v;
}

std::vector<std::byte> frame(std::size_t payload, unsigned seed) {
  auto body = random_bytes(payload, seed);
  std::vector<std::byte> f{std::byte(payload >> 24), std::byte(payload >> 16),
                           std::byte(payload >> 8), std::byte(payload)};
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

struct run_out {
  std::vector<std::byte> received;
  pump_result result;
  std::size_t forwarded = 0;
  std::size_t pipes_during = 0;
};

// Writes `input` into the pump's source (closing it after `close_after` bytes, or at the end),
// pumps to a sink that reads everything, and returns what the sink got.
run_out pump_through(const std::vector<std::byte>& input, std::size_t splice_min,
                     std::size_t close_after = SIZE_MAX, frame_handler* handler = nullptr) {
  asio::io_context io;
  auto [writer, source] = connected_pair(io);
  auto [dest, reader] = connected_pair(io);
  source.non_blocking(true);
  dest.non_blocking(true);
  plain_stream from(std::move(source)), to(std::move(dest));
  direction_state state;
  forward_all fallback;
  frame_handler& h = handler ? *handler : fallback;
  run_out out;
  frame_pump pump(from, to, state, h, 64 * 1024, 64 << 20);
  pump.enable_splice(splice_min);
  // The writer and the reader run on their own threads with blocking sockets, so the pump
  // sees real partial reads and a full destination.
  std::thread w([&] {
    const auto n = std::min(close_after, input.size());
    boost::system::error_code ec;
    asio::write(writer, asio::buffer(input.data(), n), ec);
    writer.shutdown(tcp::socket::shutdown_send, ec);
  });
  std::thread r([&] {
    std::array<std::byte, 8192> b;
    boost::system::error_code ec;
    for (;;) {
      const auto n = reader.read_some(asio::buffer(b), ec);
      if (ec) break;
      out.received.insert(out.received.end(), b.begin(), b.begin() + n);
      out.pipes_during = std::max(out.pipes_during, splice_pipe::alive());
    }
  });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.result = co_await pump.run();
        to.close();
      },
      asio::detached);
  io.run();
  w.join();
  r.join();
  out.forwarded = fallback.total;
  return out;
}

TEST(FramePumpSplice, LargeBodiesArriveByteForByte) {
  std::vector<std::byte> input;
  for (unsigned i = 0; i < 6; ++i) {
    // Sizes around the buffer and the threshold, and well past a pipe's capacity.
    const std::size_t sizes[] = {100, 70 * 1024, 5 << 20, 64 * 1024 - 4, 1 << 20, 5};
    auto f = frame(sizes[i], i);
    input.insert(input.end(), f.begin(), f.end());
  }
  const auto spliced = pump_through(input, 64 * 1024);
  EXPECT_EQ(spliced.result.end, pump_end::read_eof);
  EXPECT_FALSE(spliced.result.mid_frame);
  ASSERT_EQ(spliced.received.size(), input.size());
  EXPECT_TRUE(spliced.received == input);
  EXPECT_EQ(spliced.forwarded, input.size());
  EXPECT_GT(spliced.pipes_during, 0u);  // the kernel path ran

  const auto copied = pump_through(input, 0);
  EXPECT_TRUE(copied.received == input);
}

TEST(FramePumpSplice, ASourceThatEndsInsideASplicedBodyIsAMidFrameEnd) {
  const auto f = frame(4 << 20, 7);
  const auto r = pump_through(f, 64 * 1024, 2 << 20);
  EXPECT_EQ(r.result.end, pump_end::read_eof);
  EXPECT_TRUE(r.result.mid_frame);
  // What arrived is an exact prefix: no byte lost or reordered before the cut.
  ASSERT_LE(r.received.size(), std::size_t{2} << 20);
  EXPECT_TRUE(std::equal(r.received.begin(), r.received.end(), f.begin()));
}

// A streamed rewrite that keeps the frame's last 8 bytes and skips everything before them:
// the pump may splice the skipped part; the end it writes replaces the kept bytes.
class skip_to_end final : public streamed_rewrite {
 public:
  void start(std::size_t size) {
    size_ = size;
    at_ = 0;
    kept_.clear();
  }
  std::size_t announced_size() const noexcept override { return size_; }
  std::optional<step> feed(bytes_view chunk) override {
    const auto body = size_ - 8;
    const auto fwd = at_ < body ? std::min(chunk.size(), body - at_) : 0;
    kept_.insert(kept_.end(), chunk.begin() + static_cast<std::ptrdiff_t>(fwd), chunk.end());
    at_ += chunk.size();
    return step{chunk.size(), fwd};
  }
  std::optional<bytes_view> finish() override {
    if (kept_.size() != 8) return std::nullopt;
    for (auto& b : kept_) b = std::byte(0xEE);
    return bytes_view(kept_);
  }
  std::size_t skippable() const noexcept override { return at_ < size_ - 8 ? size_ - 8 - at_ : 0; }
  bool skip_unseen(std::size_t n) override {
    if (n > skippable()) return false;
    at_ += n;
    unseen += n;
    return true;
  }
  std::size_t unseen = 0;

 private:
  std::size_t size_ = 0, at_ = 0;
  std::vector<std::byte> kept_;
};

class stream_all final : public forward_all {
 public:
  frame_outcome on_frame(bytes_view, std::size_t size) override {
    rewriter.start(size);
    frame_outcome o;
    o.verdict = frame_verdict::stream_rewrite;
    return o;
  }
  streamed_rewrite* start_streamed(const frame_outcome&, std::size_t) override { return &rewriter; }
  skip_to_end rewriter;
};

TEST(FramePumpSplice, RecordsAStreamedRewriteSkipsGoByTheKernel) {
  const auto f = frame(3 << 20, 11);
  stream_all h;
  const auto r = pump_through(f, 64 * 1024, SIZE_MAX, &h);
  EXPECT_EQ(r.result.end, pump_end::read_eof);
  ASSERT_EQ(r.received.size(), f.size());
  EXPECT_TRUE(std::equal(f.begin(), f.end() - 8, r.received.begin()));
  for (std::size_t i = f.size() - 8; i < f.size(); ++i) EXPECT_EQ(r.received[i], std::byte(0xEE));
  EXPECT_GT(h.rewriter.unseen, std::size_t{2} << 20);  // most of it was never fed
}

}  // namespace
}  // namespace kpp::net
