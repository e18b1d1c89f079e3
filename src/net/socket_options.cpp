#include "kpp/net/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace kpp::net {

namespace asio = boost::asio;
using boost::system::error_code;

void set_stream_options(asio::ip::tcp::socket& s, const keepalive_settings& keepalive) {
  error_code ignored;
  s.set_option(asio::ip::tcp::no_delay(true), ignored);
  s.set_option(asio::socket_base::keep_alive(keepalive.enabled), ignored);
  if (!keepalive.enabled) return;
  const int fd = s.native_handle();
  const int idle = static_cast<int>(keepalive.idle.count());
  const int interval = static_cast<int>(keepalive.interval.count());
  const int count = keepalive.count;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

asio::awaitable<error_code> connect_with_timeout(asio::ip::tcp::socket& s,
                                                 const routing::host_port& address,
                                                 std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  // The timer closes the socket when the deadline passes, which aborts resolve or connect.
  auto timer = std::make_shared<asio::steady_timer>(ex, timeout);
  auto expired = std::make_shared<bool>(false);
  timer->async_wait([&s, expired](error_code ec) {
    if (ec) return;
    *expired = true;
    error_code ignored;
    s.close(ignored);
  });
  error_code ec;
  asio::ip::tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(address.host, std::to_string(address.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !*expired)
    co_await asio::async_connect(s, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  timer->cancel();
  if (*expired) co_return asio::error::timed_out;
  if (ec) {
    error_code ignored;
    s.close(ignored);
  }
  co_return ec;
}

}  // namespace kpp::net
