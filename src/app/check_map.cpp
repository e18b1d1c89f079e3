// `check`, step 2: the broker map the proxy would serve, computed by routing::broker_map
// with a binder that binds nothing (ports are step 3), and each upstream dialed from here.
#include "kpp/app/check_steps.h"
#include "kpp/app/settings_mapping.h"
#include "kpp/app/state_file.h"
#include "kpp/routing/map_hash.h"

namespace kpp::app {

namespace {

class dry_run_binder final : public routing::listener_binder {
 public:
  std::error_code bind(const routing::broker_route&) override { return {}; }
  void unbind(const routing::broker_route&) override {}
};

routing::host_port dial_address(const config::config& cfg, const routing::host_port& a) {
  for (const auto& d : cfg.brokers.dial)
    if (d.upstream == a) return d.dial;
  return a;
}

}  // namespace

boost::asio::awaitable<planned_map> check_map(check_context& c,
                                              const std::vector<probe_broker>& brokers) {
  planned_map out;
  check_section s;
  s.key = "map";
  s.title = "Broker map (port policy " + std::string(config::to_string(c.cfg.brokers.policy)) + ")";
  s.note = "node -> upstream -> listen port -> advertised name:port, as the proxy serves it";
  s.columns = {"node", "upstream", "listen", "advertised", "upstream_check"};

  const auto* top_tls = c.cfg.tls.enabled ? &c.cfg.tls : nullptr;
  for (const auto& b : c.cfg.bootstrap.listeners) {
    client_port p;
    p.port = b.advertised ? b.advertised->port : b.listen.port;
    if (b.advertised) p.advertised_host = b.advertised->host;
    p.tls = b.tls ? (b.tls->enabled ? &*b.tls : nullptr) : top_tls;
    out.client_ports.push_back(p);
  }
  const bool sni = c.cfg.routing == config::routing_mode::sni;
  // The bootstrap name, on the shared port as advertised (brokers.advertised_port moves it).
  if (sni)
    out.client_ports.push_back({c.cfg.brokers.advertised_port.value_or(c.cfg.sni.listen.port),
                                {},
                                c.cfg.sni.bootstrap_host,
                                top_tls,
                                true});

  auto settings = map_settings_from(c.cfg);
  if (c.cfg.brokers.policy == routing::port_policy::sequential &&
      !c.cfg.brokers.state_file.empty()) {
    auto state = load_port_state(c.cfg.brokers.state_file);
    if (!state.error.empty())
      c.report.find("map", "cannot use the port state file: " + state.error,
                    "fix or remove brokers.state_file (the proxy refuses to start with it)");
    settings.sequential_state = std::move(state.ports);
  }
  dry_run_binder binder;
  routing::broker_map map(std::move(settings), binder);
  (void)map.preload_state();
  for (const auto& b : brokers) {
    auto r = map.ensure(b.node_id, b.address);
    if (!r.route) {
      s.rows.push_back({std::int64_t{b.node_id}, b.address.str(), "NONE", "-", "-"});
      c.report.find("map", "broker " + std::to_string(b.node_id) + " gets no listener: " + r.error,
                    "change the setting the message names; clients told about this broker "
                    "could not reach it");
    }
  }
  out.routes = map.snapshot();
  if (!out.routes.empty()) c.report.map_hash = routing::map_hash(out.routes);
  std::vector<routing::host_port> upstreams;
  std::vector<std::string> tls_names;  // the broker's own host, for its certificate
  for (const auto& route : out.routes)
    if (route.upstream) {
      upstreams.push_back(dial_address(c.cfg, *route.upstream));
      tls_names.push_back(route.upstream->host);
    }
  const auto probes = co_await probe_all(upstreams, c.probe, tls_names);
  std::size_t next = 0;
  for (const auto& route : out.routes) {
    std::string upstream_check = "-";
    if (route.upstream) {
      const auto& address = upstreams[next];
      const auto& p = probes[next++];
      upstream_check = to_string(p.outcome);
      if (p.outcome != probe_outcome::ok)
        c.report.find("map",
                      "broker " + std::to_string(route.node_id) + "'s upstream " + address.str() +
                          " does not answer from here: " + p.detail,
                      "the proxy dials the address each broker advertises: make it reachable "
                      "from the proxy host, or map it with brokers.dial "
                      "(--dial-address-mapping)");
    }
    s.rows.push_back({std::int64_t{route.node_id},
                      route.upstream ? route.upstream->str() : std::string("?"),
                      route.local_listener ? route.listen.str() : std::string("(external)"),
                      route.advertised.str(), upstream_check});
    if (route.local_listener)
      out.client_ports.push_back(
          {route.advertised.port, route.node_id, route.advertised.host, top_tls, sni});
  }
  c.report.sections.push_back(std::move(s));
  co_return out;
}

}  // namespace kpp::app
