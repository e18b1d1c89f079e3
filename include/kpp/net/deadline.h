// Waiting for one asynchronous operation with a deadline. Boost 1.74 has neither awaitable
// operators nor per-operation cancellation, and a timer handler that closes a socket it holds
// by reference can run after that socket is gone. Here the coroutine itself waits, on a timer
// the operation's handler cancels, so no handler refers to anything but shared state.
// Sessions and discovery run on single-threaded io_contexts, which this relies on.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <tuple>

namespace kpp::net {

template <class... Args>
struct deadline_outcome {
  bool timed_out = false;
  std::tuple<Args...> values{};  // what the operation completed with (unset if abandoned)
};

enum class after_deadline : std::uint8_t {
  // Cancel, then wait for the operation's completion: nothing it refers to is destroyed
  // under it (a connect, a read or a wait on a socket the caller owns).
  cancel_and_wait,
  // Cancel and return at once; the result is dropped when it comes. Only for an operation
  // that refers to nothing of the caller's, such as a DNS lookup: its worker thread cannot
  // be interrupted, so waiting for it would put the lookup back outside the deadline.
  cancel_and_abandon,
};

// Starts the operation with `start(handler)`, where handler takes Args..., and waits for it
// or for `deadline`, whichever comes first. At the deadline calls `cancel()`. Both are taken
// by lvalue reference: pass named objects of the calling coroutine (GCC 12 destroys some
// non-trivial temporaries of a co_await expression twice).
template <class... Args, class Start, class Cancel>
boost::asio::awaitable<deadline_outcome<Args...>> with_deadline(
    Start& start, Cancel& cancel, std::chrono::steady_clock::time_point deadline,
    after_deadline mode = after_deadline::cancel_and_wait) {
  namespace asio = boost::asio;
  struct state {
    explicit state(const asio::any_io_executor& ex) : wake(ex) {}
    asio::steady_timer wake;
    std::optional<std::tuple<Args...>> result;
  };
  auto st = std::make_shared<state>(co_await asio::this_coro::executor);
  st->wake.expires_at(deadline);
  start([st](Args... args) {
    st->result.emplace(std::move(args)...);
    st->wake.cancel();
  });
  boost::system::error_code ignored;
  co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  deadline_outcome<Args...> out;
  if (!st->result) {
    out.timed_out = true;
    cancel();
    if (mode == after_deadline::cancel_and_abandon) co_return out;
    while (!st->result) {
      st->wake.expires_at(std::chrono::steady_clock::time_point::max());
      co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
  out.values = std::move(*st->result);
  co_return out;
}

}  // namespace kpp::net
