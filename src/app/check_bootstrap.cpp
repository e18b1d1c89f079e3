// `check`, step 1: the bootstrap servers, as discovery dials them.
#include "kpp/app/check_steps.h"
#include "kpp/app/settings_mapping.h"

namespace kpp::app {

namespace {

routing::host_port dial_address(const config::config& cfg, const routing::host_port& a) {
  for (const auto& d : cfg.brokers.dial)
    if (d.upstream == a) return d.dial;
  return a;
}

std::string fix_for(probe_outcome o, bool upstream_tls) {
  switch (o) {
    case probe_outcome::refused:
      return "nothing listens there: correct the host:port in bootstrap.servers "
             "(--bootstrap-server-mapping) to a broker listener";
    case probe_outcome::timeout:
      return "no answer in time: check the address in bootstrap.servers and that firewalls let "
             "this host reach it (or raise timeouts.dial)";
    case probe_outcome::unreachable:
      return "correct the host in bootstrap.servers, or make it resolvable and routable from "
             "this host";
    case probe_outcome::tls_mismatch:
      if (upstream_tls)
        return "the listener is plaintext and upstream.tls is enabled: point bootstrap.servers "
               "at the broker's SSL listener, or disable upstream.tls";
      return "point bootstrap.servers at the broker's PLAINTEXT listener, or set "
             "upstream.tls.enabled (--tls-enable)";
    case probe_outcome::tls_failed:
      return "see the detail: fix upstream.tls (ca_file, cert_file/key_file, server_name) or "
             "the broker's certificate";
    case probe_outcome::sasl_required:
      // Without a login of its own the proxy still relays clients' SASL (pass-through), but
      // neither check nor discovery can read Metadata.
      return "the proxy has no SASL login of its own (pass-through: clients log in through "
             "it, and that works), so neither check nor discovery can list the brokers: set "
             "discovery.sasl (a broker user for the proxy's own Metadata requests), or "
             "upstream.sasl to log in on clients' behalf, or point bootstrap.servers at a "
             "broker listener without SASL";
    case probe_outcome::not_kafka:
      return "point bootstrap.servers at a Kafka broker listener";
    case probe_outcome::login_failed:
      return "check upstream.sasl or discovery.sasl (mechanism, username, password) against "
             "the broker's SASL users and sasl.enabled.mechanisms";
    case probe_outcome::ok:
      break;
  }
  return {};
}

}  // namespace

boost::asio::awaitable<std::vector<probe_broker>> check_bootstrap(check_context& c) {
  check_section s;
  s.key = "bootstrap";
  s.title = "Bootstrap servers (ApiVersions + Metadata, as discovery asks)";
  s.columns = {"server", "result", "detail"};
  std::vector<probe_broker> brokers;
  const auto servers = bootstrap_servers(c.cfg);
  if (servers.empty())
    c.report.find("bootstrap", "no bootstrap servers are configured",
                  "set bootstrap.servers (or --bootstrap-server-mapping)");
  std::vector<routing::host_port> addresses;
  for (const auto& server : servers) addresses.push_back(dial_address(c.cfg, server));
  std::vector<std::string> tls_names;
  for (const auto& server : servers) tls_names.push_back(server.host);
  const auto results = co_await probe_all(addresses, c.probe, tls_names);
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const auto& server = servers[i];
    const auto& address = addresses[i];
    const auto& r = results[i];
    std::string name = server.str();
    if (!(address == server)) name += " (dialed at " + address.str() + ")";
    s.rows.push_back({name, to_string(r.outcome), r.detail});
    if (r.outcome != probe_outcome::ok) {
      c.report.find(
          "bootstrap",
          "bootstrap server " + name + ": " + to_string(r.outcome) + " (" + r.detail + ")",
          fix_for(r.outcome, c.probe.tls != nullptr));
    } else if (brokers.empty()) {
      brokers = r.brokers;
      if (brokers.empty())
        c.report.find("bootstrap", "bootstrap server " + name + " listed no brokers in Metadata",
                      "check the cluster: a broker answering Metadata without brokers is not "
                      "serving");
    }
  }
  c.report.sections.push_back(std::move(s));
  co_return brokers;
}

}  // namespace kpp::app
