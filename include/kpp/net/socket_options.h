// TCP options every proxied connection gets.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "kpp/net/session_settings.h"

namespace kpp::net {

// TCP_NODELAY (Kafka frames are latency-sensitive and already batched by clients) and
// keepalive probes well inside the idle limits of cloud private paths.
void set_stream_options(boost::asio::ip::tcp::socket& s, const keepalive_settings& keepalive);

}  // namespace kpp::net
