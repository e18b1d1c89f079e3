// The splice(2) path of the frame pump: a pass-through body goes socket -> pipe -> socket in
// the kernel, never through user space. Measured against the buffer path in the benchmark's
// modern section (README, "Performance").
#include <fcntl.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "kpp/net/frame_pump.h"
#include "kpp/net/splice_pipe.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;

namespace {

// Yield to the thread's other connections after this many bytes moved without waiting,
// as the buffer path does at each write.
constexpr std::size_t yield_every = 256 * 1024;

ssize_t splice_nonblocking(int from, int to, std::size_t n) {
  for (;;) {
    const auto r = ::splice(from, nullptr, to, nullptr, n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (r >= 0 || errno != EINTR) return r;
  }
}

}  // namespace

awaitable<std::optional<frame_pump::splice_end>> frame_pump::splice_body(error_code& ec) {
  auto* in = from_.plain_socket();
  auto* out = to_.plain_socket();
  if (in == nullptr || out == nullptr) co_return std::nullopt;
  auto pipe = splice_pipe::acquire();
  if (!pipe) co_return std::nullopt;
  const int in_fd = in->native_handle();
  const int out_fd = out->native_handle();
  std::size_t since_yield = 0;
  auto end = splice_end::done;
  while (body_left_ > 0 || in_pipe_ > 0) {
    if (body_left_ > 0 && in_pipe_ < pipe->capacity()) {
      const auto n = splice_nonblocking(in_fd, pipe->write_end(),
                                        std::min(body_left_, pipe->capacity() - in_pipe_));
      if (n > 0) {
        body_left_ -= static_cast<std::size_t>(n);
        in_pipe_ += static_cast<std::size_t>(n);
        state_.last_read = std::chrono::steady_clock::now();
      } else if (n == 0) {
        end = splice_end::read_eof;
        break;
      } else if (errno != EAGAIN) {
        ec = error_code(errno, boost::system::system_category());
        end = splice_end::read_error;
        break;
      } else if (in_pipe_ == 0) {  // nothing to read and nothing to write: wait for the source
        co_await from_.wait_readable(ec);
        if (ec) {
          end = splice_end::read_error;
          break;
        }
        if (handler_.closed()) {
          end = splice_end::stopped;
          break;
        }
        continue;
      }
    }
    if (in_pipe_ == 0) continue;
    const auto m = splice_nonblocking(pipe->read_end(), out_fd, in_pipe_);
    if (m > 0) {
      in_pipe_ -= static_cast<std::size_t>(m);
      handler_.forwarded(static_cast<std::size_t>(m));
      since_yield += static_cast<std::size_t>(m);
      if (since_yield >= yield_every) {
        since_yield = 0;
        co_await asio::post(out->get_executor(), asio::use_awaitable);
        if (handler_.closed()) {
          end = splice_end::stopped;
          break;
        }
      }
      continue;
    }
    if (m < 0 && errno == EAGAIN) {  // the destination is full: wait, watched by the watchdog
      state_.writing = true;
      state_.write_started = std::chrono::steady_clock::now();
      state_.bytes_in_flight = in_pipe_;
      co_await out->async_wait(asio::ip::tcp::socket::wait_write,
                               asio::redirect_error(asio::use_awaitable, ec));
      state_.writing = false;
      state_.bytes_in_flight = 0;
      if (!ec && !handler_.closed()) continue;
      end = ec ? splice_end::write_error : splice_end::stopped;
      break;
    }
    ec = error_code(m < 0 ? errno : EPIPE, boost::system::system_category());
    end = splice_end::write_error;
    break;
  }
  pipe->release(in_pipe_);
  if (end != splice_end::done) in_pipe_ = 0;  // the frame is cut; the session closes
  co_return end;
}

awaitable<bool> frame_pump::splice_run(gather& out, std::size_t n, pump_result& result) {
  error_code ec;
  if (!co_await flush(out, ec)) {
    result.ec = ec;
    result.end = pump_end::write_error;
    co_return false;
  }
  body_left_ = n;
  const auto spliced = co_await splice_body(ec);
  if (!spliced || *spliced == splice_end::done) {
    update_mid_frame();
    co_return true;
  }
  result.ec = ec;
  result.mid_frame = true;
  switch (*spliced) {
    case splice_end::read_eof:
      result.end = pump_end::read_eof;
      break;
    case splice_end::read_error:
      result.end = pump_end::read_error;
      break;
    case splice_end::write_error:
      result.end = pump_end::write_error;
      break;
    default:
      result.end = pump_end::stopped;
  }
  co_return false;
}

}  // namespace kpp::net
