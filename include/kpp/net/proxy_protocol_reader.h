// Reads a PROXY protocol header (v1 or v2) off a fresh client connection, within a deadline,
// and only from trusted senders (the PSC NAT subnet): anyone else could spoof an identity.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "kpp/admin/metrics.h"
#include "kpp/net/session_settings.h"

namespace kpp::net {

struct proxy_protocol_outcome {
  bool ok = false;
  admin::protocol_error_cause cause{};
  std::string message;
  std::string source;             // "ip:port" the header carried (empty for LOCAL)
  std::string psc_connection_id;  // decimal, empty when absent
};

class proxy_protocol_reader {
 public:
  explicit proxy_protocol_reader(const session_settings& settings) : settings_(settings) {}
  // Consumes exactly the header's bytes from `s` (peeks first, then reads what it used).
  boost::asio::awaitable<proxy_protocol_outcome> read(boost::asio::ip::tcp::socket& s);

 private:
  const session_settings& settings_;
};

[[nodiscard]] bool source_allowed(const std::vector<protocol::cidr>& allowed,
                                  const boost::asio::ip::address& peer);

}  // namespace kpp::net
