// TCP options every proxied connection gets, and a connect bounded by a deadline.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <system_error>

#include "kpp/net/session_settings.h"
#include "kpp/routing/host_port.h"

namespace kpp::net {

// TCP_NODELAY (Kafka frames are latency-sensitive and already batched by clients) and
// keepalive probes well inside the idle limits of cloud private paths.
void set_stream_options(boost::asio::ip::tcp::socket& s, const keepalive_settings& keepalive);

// Resolves and connects `s` to `address`, giving up after `timeout`.
boost::asio::awaitable<boost::system::error_code> connect_with_timeout(
    boost::asio::ip::tcp::socket& s, const routing::host_port& address,
    std::chrono::milliseconds timeout);

}  // namespace kpp::net
