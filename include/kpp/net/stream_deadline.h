// One exchange on a byte_stream (write a request, read its answer) within a deadline, for the
// proxy's own short conversations with brokers (discovery, `check`). The exchange runs as its
// own coroutine; at the deadline the stream is closed and the exchange awaited, so nothing
// refers to the stream or the caller's buffers once this returns (see deadline.h).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <exception>

#include "kpp/net/byte_stream.h"
#include "kpp/net/deadline.h"

namespace kpp::net {

struct stream_op_outcome {
  bool timed_out = false;
  boost::system::error_code ec;  // the operation's own error (timed_out: operation_aborted)
};

// `op` is a callable returning awaitable<boost::system::error_code>; it lives in the caller's
// frame (by reference) until its coroutine ends.
template <class Op>
boost::asio::awaitable<stream_op_outcome> run_with_deadline(
    byte_stream& stream, Op& op, std::chrono::steady_clock::time_point deadline) {
  namespace asio = boost::asio;
  using boost::system::error_code;
  auto ex = co_await asio::this_coro::executor;
  auto start = [&op, &ex](auto handler) {
    asio::co_spawn(ex, op(),
                   [handler = std::move(handler)](std::exception_ptr e, error_code ec) mutable {
                     handler(e ? error_code(asio::error::fault) : ec);
                   });
  };
  auto close = [&stream] { stream.close(); };
  auto r = co_await with_deadline<error_code>(start, close, deadline);
  co_return stream_op_outcome{r.timed_out, std::get<0>(r.values)};
}

}  // namespace kpp::net
