// TLS to the brokers (upstream.tls) at start-up: load the client context (a failure stops the
// start), log what is verified, and keep the files fresh (refresh interval and SIGHUP) for
// new dials. Sessions, discovery and `check` dial with the result.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

#include "kpp/config/config.h"
#include "kpp/net/tls_refresher.h"
#include "kpp/net/upstream_dialer.h"

namespace kpp::app {

struct upstream_tls {
  std::shared_ptr<const net::dial_tls> dial;  // null when upstream.tls.enabled is false
  std::shared_ptr<net::tls_refresher> refresher;
  std::string error;  // set when the start must fail
};

// Loads the context once (no refresher, no metrics): for `check`.
[[nodiscard]] upstream_tls load_upstream_tls(const config::config& c);

// Loads the context, registers the client certificate's metrics (when there is one) and
// starts the refresher on `ex`.
[[nodiscard]] upstream_tls start_upstream_tls(const config::config& c,
                                              boost::asio::any_io_executor ex);

}  // namespace kpp::app
