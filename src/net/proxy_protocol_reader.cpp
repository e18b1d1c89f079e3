#include "kpp/net/proxy_protocol_reader.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "kpp/protocol/cidr.h"
#include "kpp/protocol/proxy_protocol.h"

namespace kpp::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

bool peer_hung_up(asio::ip::tcp::socket& s) {
  pollfd p{s.native_handle(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

bool source_allowed(const std::vector<protocol::cidr>& allowed, const asio::ip::address& peer) {
  if (allowed.empty()) return true;
  const auto text = peer.to_string();
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const protocol::cidr& block) { return protocol::contains(block, text); });
}

asio::awaitable<proxy_protocol_outcome> proxy_protocol_reader::read(asio::ip::tcp::socket& s) {
  proxy_protocol_outcome out;
  error_code ec;
  const auto peer = s.remote_endpoint(ec);
  if (ec) {
    out.cause = admin::protocol_error_cause::proxy_protocol_invalid;
    out.message = "connection gone before its PROXY header";
    co_return out;
  }
  if (!source_allowed(settings_.proxy_protocol_sources, peer.address())) {
    out.cause = admin::protocol_error_cause::proxy_protocol_untrusted_source;
    out.message = "PROXY protocol header from " + peer.address().to_string() +
                  ", which is not in proxy_protocol.allowed_sources; refusing its claimed identity";
    co_return out;
  }
  auto ex = co_await asio::this_coro::executor;
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer timer(ex, settings_.proxy_protocol_timeout);
  timer.async_wait([&s, expired](error_code e) {
    if (e) return;
    *expired = true;
    error_code ignored;
    s.close(ignored);
  });
  // Peek until the header is complete, then consume exactly its bytes: what follows is the
  // client's first Kafka frame and stays in the socket for the session.
  std::array<std::byte, 4096 + 16> buf{};
  for (;;) {
    co_await s.async_wait(asio::ip::tcp::socket::wait_read,
                          asio::redirect_error(asio::use_awaitable, ec));
    std::size_t n = 0;
    if (!ec) n = s.receive(asio::buffer(buf), asio::ip::tcp::socket::message_peek, ec);
    if (ec || n == 0) {
      out.cause = admin::protocol_error_cause::proxy_protocol_invalid;
      out.message = *expired ? "no complete PROXY protocol header within " +
                                   std::to_string(settings_.proxy_protocol_timeout.count()) +
                                   " ms (proxy_protocol.enabled is on: does the load balancer "
                                   "send one?)"
                             : "connection closed before a complete PROXY protocol header";
      co_return out;
    }
    auto parsed = protocol::parse_proxy_header(protocol::bytes_view(buf.data(), n));
    if (parsed.status == protocol::proxy_parse_status::need_more) {
      if (n == buf.size()) {
        parsed.status = protocol::proxy_parse_status::invalid;
      } else if (peer_hung_up(s)) {
        // A peek sees the same partial bytes forever once the client has gone: say so now.
        out.cause = admin::protocol_error_cause::proxy_protocol_invalid;
        out.message = "connection closed before a complete PROXY protocol header (" +
                      std::to_string(n) + " bytes)";
        co_return out;
      } else {
        // Wait for more bytes: a short timer tick avoids spinning on a readable socket whose
        // data we only peeked at.
        asio::steady_timer tick(ex, std::chrono::milliseconds(2));
        co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
    }
    if (parsed.status == protocol::proxy_parse_status::invalid) {
      timer.cancel();
      out.cause = admin::protocol_error_cause::proxy_protocol_invalid;
      out.message = "invalid PROXY protocol header: " + parsed.error +
                    " (proxy_protocol.enabled expects every connection to start with one)";
      co_return out;
    }
    std::vector<std::byte> sink(parsed.header.size);
    co_await asio::async_read(s, asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (ec) {
      out.cause = admin::protocol_error_cause::proxy_protocol_invalid;
      out.message = "connection lost while reading the PROXY header";
      co_return out;
    }
    out.ok = true;
    if (!parsed.header.local && !parsed.header.source_address.empty())
      out.source = parsed.header.source_address + ":" + std::to_string(parsed.header.source_port);
    if (parsed.header.psc_connection_id)
      out.psc_connection_id = std::to_string(*parsed.header.psc_connection_id);
    co_return out;
  }
}

}  // namespace kpp::net
