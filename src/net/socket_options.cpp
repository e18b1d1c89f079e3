#include "kpp/net/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>


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

}  // namespace kpp::net
