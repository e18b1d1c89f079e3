#include "kpp/net/byte_stream.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;

awaitable<std::size_t> byte_stream::read_exactly(asio::mutable_buffer buf, error_code& ec) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto n = co_await read_some(buf + done, ec);
    if (ec) break;
    done += n;
  }
  co_return done;
}

std::size_t plain_stream::try_read_some(asio::mutable_buffer buf, error_code& ec) {
  return socket_.read_some(buf, ec);
}

awaitable<void> plain_stream::wait_readable(error_code& ec) {
  co_await socket_.async_wait(tcp::socket::wait_read, redirect_error(use_awaitable, ec));
}

awaitable<std::size_t> plain_stream::read_some(asio::mutable_buffer buf, error_code& ec) {
  for (;;) {
    // Read first: the bytes are usually there already, and this saves a reactor trip.
    const auto n = socket_.read_some(buf, ec);
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return n;
    ec.clear();
    co_await socket_.async_wait(tcp::socket::wait_read, redirect_error(use_awaitable, ec));
    if (ec) co_return 0;
  }
}

awaitable<void> plain_stream::write(std::span<const asio::const_buffer> bufs, error_code& ec) {
  co_await asio::async_write(socket_, bufs, redirect_error(use_awaitable, ec));
}

void plain_stream::shutdown_send(error_code& ec) {
  socket_.shutdown(tcp::socket::shutdown_send, ec);
}

void plain_stream::close() noexcept {
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace kpp::net
