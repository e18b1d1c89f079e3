#include "kpp/app/check_command.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <exception>

#include "kpp/app/check_report.h"
#include "kpp/app/check_steps.h"
#include "kpp/app/upstream_login_mapping.h"
#include "kpp/app/upstream_tls.h"

namespace kpp::app {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> run_steps(check_context& c) {
  const auto brokers = co_await check_bootstrap(c);
  const auto map = co_await check_map(c, brokers);
  co_await check_ports(c, map);
  check_names(c, map);
  co_await check_through(c, map);
}

}  // namespace

int run_check(const config::config& cfg, const std::string& source,
              const config::check_request& request) {
  check_report report;
  report.source = source;
  check_context c{cfg, request.through, {}, report};
  // One dial budget per connection, as the proxy's discovery has.
  c.probe.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.timeouts.dial);
  c.probe.client_id = cfg.discovery.client_id;
  const auto tls = load_upstream_tls(cfg);
  if (!tls.error.empty())
    report.find("bootstrap", tls.error,
                "fix the upstream.tls files; the proxy would refuse to start with them");
  c.probe.tls = tls.dial;
  // The login discovery would use: upstream.sasl, else discovery.sasl (pass-through SASL).
  auto login = cfg.upstream.sasl.enabled
                   ? upstream_login_from(cfg.upstream.sasl)
                   : upstream_login_from(cfg.discovery.sasl, "discovery.sasl");
  if (!login) {
    std::fprintf(stderr, "kafka-psc-proxy check: %s\n", login.error().c_str());
    return 2;
  }
  c.probe.login = std::move(*login);

  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, run_steps(c), asio::use_future);
  ioc.run();
  try {
    done.get();
  } catch (const std::exception& e) {
    // Nothing in the steps throws by design; if something does, say so instead of aborting.
    report.find("check", std::string("the check itself failed: ") + e.what(),
                "report this as a bug, with the command line used");
  }
  const std::string text = request.json ? render_json(report) : render_table(report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return report.exit_code();
}

}  // namespace kpp::app
