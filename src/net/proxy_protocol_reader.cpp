#include "kpp/net/proxy_protocol_reader.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <vector>

#include "kpp/net/deadline.h"
#include "kpp/protocol/cidr.h"
#include "kpp/protocol/proxy_protocol.h"

namespace kpp::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// A v2 header with TLVs beyond this is not what a load balancer sends.
constexpr std::size_t max_header = 4096 + 16;

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
    out.cause = protocol_error_cause::proxy_protocol_invalid;
    out.message = "connection gone before its PROXY header";
    co_return out;
  }
  if (!source_allowed(settings_.proxy_protocol_sources, peer.address())) {
    out.cause = protocol_error_cause::proxy_protocol_untrusted_source;
    out.message = "PROXY protocol header from " + peer.address().to_string() +
                  ", which is not in proxy_protocol.allowed_sources; refusing its claimed identity";
    co_return out;
  }
  // Event driven, and never a byte too far: peek what has arrived, then consume what is known
  // to be header. While the parser still needs more, every byte seen so far is header (a v1
  // line has no CRLF yet, a v2 header is shorter than its announced length), so consuming it
  // all empties the socket and the next readiness wait sleeps until the client sends more.
  // Once complete, exactly the header's remaining bytes are consumed: the client's first Kafka
  // frame stays in the socket for the session.
  const auto deadline = std::chrono::steady_clock::now() + settings_.proxy_protocol_timeout;
  std::vector<std::byte> seen;  // the header's bytes consumed so far, then the latest peek
  std::array<std::byte, 512> chunk{};
  auto fail = [&](std::string message) {
    out.cause = protocol_error_cause::proxy_protocol_invalid;
    out.message = std::move(message);
    return out;
  };
  auto wait_readable = [&s](auto handler) {
    s.async_wait(asio::ip::tcp::socket::wait_read, std::move(handler));
  };
  auto cancel_wait = [&s] {
    error_code ignored;
    s.cancel(ignored);
  };
  for (;;) {
    auto waited = co_await with_deadline<error_code>(wait_readable, cancel_wait, deadline);
    if (waited.timed_out)
      co_return fail("no complete PROXY protocol header within " +
                     std::to_string(settings_.proxy_protocol_timeout.count()) +
                     " ms (proxy_protocol.enabled is on: does the load balancer send one?)");
    if (std::get<0>(waited.values))
      co_return fail("connection closed before a complete PROXY protocol header");
    const std::size_t consumed = seen.size();
    // Never blocking: a readiness report can be spurious, and a blocking peek would stall
    // every connection of this thread.
    const auto peeked =
        ::recv(s.native_handle(), chunk.data(), chunk.size(), MSG_PEEK | MSG_DONTWAIT);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    const std::size_t n = peeked > 0 ? static_cast<std::size_t>(peeked) : 0;
    if (n == 0)
      co_return fail("connection closed before a complete PROXY protocol header (" +
                     std::to_string(consumed) + " bytes)");
    seen.insert(seen.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    auto parsed = protocol::parse_proxy_header(protocol::bytes_view(seen.data(), seen.size()));
    if (parsed.status == protocol::proxy_parse_status::need_more && seen.size() >= max_header)
      parsed.status = protocol::proxy_parse_status::invalid;
    if (parsed.status == protocol::proxy_parse_status::invalid)
      co_return fail("invalid PROXY protocol header: " + parsed.error +
                     " (proxy_protocol.enabled expects every connection to start with one)");
    const std::size_t take = parsed.status == protocol::proxy_parse_status::need_more
                                 ? n
                                 : parsed.header.size - consumed;
    const auto got = ::recv(s.native_handle(), chunk.data(), take, MSG_DONTWAIT);
    if (got < 0 || static_cast<std::size_t>(got) != take)
      co_return fail("connection lost while reading the PROXY header");
    seen.resize(consumed + take);
    if (parsed.status == protocol::proxy_parse_status::need_more) continue;
    out.ok = true;
    if (!parsed.header.local && !parsed.header.source_address.empty())
      out.source = parsed.header.source_address + ":" + std::to_string(parsed.header.source_port);
    if (parsed.header.psc_connection_id)
      out.psc_connection_id = std::to_string(*parsed.header.psc_connection_id);
    co_return out;
  }
}

}  // namespace kpp::net
