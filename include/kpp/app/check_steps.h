// The steps of `check`, in the order they run, each adding its section (and findings) to
// the report. check_command.cpp runs them; each lives in its own file.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kpp/app/check_probe.h"
#include "kpp/app/check_report.h"
#include "kpp/config/config.h"
#include "kpp/routing/broker_map.h"

namespace kpp::app {

struct check_context {
  const config::config& cfg;
  std::optional<std::string> through;  // the endpoint address (--through), no port
  probe_options probe;
  check_report& report;
};

// A listener clients are told about: a bootstrap listener or a broker's.
struct client_port {
  std::uint16_t port = 0;               // what clients dial (the advertised port)
  std::optional<std::int32_t> node_id;  // empty: a bootstrap listener
  std::string advertised_host;          // empty when unknown (a bootstrap listener without one)
  // The TLS block clients meet there (in the config the check runs on); null: plaintext.
  const config::listener_tls_config* tls = nullptr;
  bool sni = false;  // routing: sni: the shared port; advertised_host is the server name
};

// The map the proxy would serve for what Metadata said, built by routing::broker_map itself
// (the same code path as the daemon, with listeners not bound).
struct planned_map {
  std::vector<routing::broker_route> routes;
  std::vector<client_port> client_ports;  // bootstrap listeners, then brokers
};

// Bootstrap servers: ApiVersions + Metadata on each. The brokers the first one that
// answered listed; empty when none did.
boost::asio::awaitable<std::vector<probe_broker>> check_bootstrap(check_context& c);
// The broker map, and whether each broker's upstream answers from here.
boost::asio::awaitable<planned_map> check_map(check_context& c,
                                              const std::vector<probe_broker>& brokers);
// Every listen port: free, or held by a running proxy that answers /ready.
boost::asio::awaitable<void> check_ports(check_context& c, const planned_map& map);
// Every advertised name: resolves? to where? And the DNS records to create.
void check_names(check_context& c, const planned_map& map);
// --through: every client port through the endpoint address (with routing: sni, every name on
// the shared port), in TLS where the config gives the listener a tls block.
boost::asio::awaitable<void> check_through(check_context& c, const planned_map& map);

}  // namespace kpp::app
