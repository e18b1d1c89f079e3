// TLS on the client-facing listeners at start-up: load the context of the top-level `tls` and
// of each bootstrap listener's own `tls` block (a failure stops the start), warn for every
// advertised name a certificate does not cover, and keep the files fresh (refresh interval
// and SIGHUP).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kpp/config/config.h"
#include "kpp/net/sni_router.h"
#include "kpp/net/tls_context_store.h"
#include "kpp/net/tls_refresher.h"

namespace kpp::app {

struct client_tls {
  std::shared_ptr<net::tls_context_store> store;  // the top-level `tls`; null: plaintext
  // Bootstrap listeners with their own `tls` block, by listen address: their store (null:
  // that listener is plaintext).
  std::map<routing::host_port, std::shared_ptr<net::tls_context_store>> overrides;
  std::shared_ptr<net::tls_refresher> refresher;  // every store above; null when none
  // routing: sni only: routes a shared listener's connections by the TLS server name.
  std::shared_ptr<const net::sni_router> sni;
  std::string error;  // set when the start must fail
};

// Nothing (no store, no override) when no listener speaks TLS. With routing: sni, `sni` is set
// and every context the store builds (at start and on reload) routes by the TLS server name
// through it; sni.certificates get a store each, refreshed with the listener's.
[[nodiscard]] client_tls start_client_tls(const config::config& c, boost::asio::any_io_executor ex);

// The host names and IPs clients are told to connect to: bootstrap and mapping advertised
// hosts, static brokers, and the advertised_host template for each static node id (or node 0
// when there are none: a wildcard certificate covers every id alike).
[[nodiscard]] std::vector<std::string> advertised_names(const config::config& c);

}  // namespace kpp::app
