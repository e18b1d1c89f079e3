// `check --through ADDRESS`, step 5: what a client on a consumer VM gets at each advertised
// port of the endpoint address: OK, refused, timeout, TLS mismatch, or another broker than
// this config maps there (replicas behind the endpoint disagree on the map).
#include <map>

#include "kpp/app/check_steps.h"

namespace kpp::app {

namespace {

std::string map_text(const std::map<std::int32_t, std::uint16_t>& m) {
  std::string out;
  for (const auto& [node, port] : m)
    out += (out.empty() ? "" : " ") + std::to_string(node) + ":" + std::to_string(port);
  return out;
}

}  // namespace

boost::asio::awaitable<void> check_through(check_context& c, const planned_map& map) {
  if (!c.through) co_return;
  check_section s;
  s.key = "through";
  s.title = "Through " + *c.through + " (ApiVersions + Metadata at each advertised port)";
  s.columns = {"port", "expected", "result", "seen", "detail"};

  // node -> port, as this config serves it.
  std::map<std::int32_t, std::uint16_t> expected_map;
  for (const auto& r : map.routes) expected_map[r.node_id] = r.advertised.port;

  std::vector<routing::host_port> addresses;
  for (const auto& p : map.client_ports) addresses.push_back({*c.through, p.port});
  // The endpoint leads to the proxy's listeners, not to brokers: upstream.tls and upstream.sasl
  // do not apply.
  auto probe = c.probe;
  probe.tls = nullptr;
  probe.login = nullptr;
  const auto results = co_await probe_all(addresses, probe);
  for (std::size_t i = 0; i < map.client_ports.size(); ++i) {
    const auto& p = map.client_ports[i];
    const auto& r = results[i];
    const auto& address = addresses[i];
    const std::string expected =
        p.node_id ? "broker " + std::to_string(*p.node_id) : std::string("bootstrap");
    if (r.outcome != probe_outcome::ok) {
      s.rows.push_back({std::int64_t{p.port}, expected, to_string(r.outcome), "-", r.detail});
      std::string fix;
      switch (r.outcome) {
        case probe_outcome::refused:
          fix = "forward port " + std::to_string(p.port) +
                " on the endpoint's forwarding rule / load balancer to the proxy, and check "
                "the proxy listens on it (see Ports)";
          break;
        case probe_outcome::timeout:
          fix = "a firewall or the forwarding rule drops port " + std::to_string(p.port) +
                ": allow and forward the whole broker port range to the proxy";
          break;
        case probe_outcome::tls_mismatch:
          fix =
              "something on this path speaks TLS: the proxy's listeners are plaintext; "
              "connect the clients in plaintext or terminate TLS in front of the proxy";
          break;
        default:
          fix = "make " + address.str() + " reach the proxy's listener for " + expected;
      }
      c.report.find(
          "through",
          expected + " at " + address.str() + ": " + to_string(r.outcome) + " (" + r.detail + ")",
          fix);
      continue;
    }
    std::map<std::int32_t, std::uint16_t> served;
    std::optional<std::int32_t> seen;
    for (const auto& b : r.brokers) {
      served[b.node_id] = b.address.port;
      if (b.address.port == p.port) seen = b.node_id;
    }
    const std::string seen_text = seen ? "broker " + std::to_string(*seen) : std::string("none");
    const bool wrong_broker = p.node_id && seen != p.node_id;
    const bool map_differs = !expected_map.empty() && served != expected_map;
    if (wrong_broker) {
      s.rows.push_back({std::int64_t{p.port}, expected, "wrong broker answered", seen_text,
                        "the map served there: " + map_text(served)});
      c.report.find(
          "through",
          "at " + address.str() + " the proxy that answered maps " +
              (seen ? "broker " + std::to_string(*seen) : std::string("no broker")) +
              " to that port; this config maps broker " + std::to_string(*p.node_id) +
              " there (map served: " + map_text(served) +
              "; this config: " + map_text(expected_map) + ")",
          "replicas behind one endpoint must serve the same map: give every replica the same "
          "brokers.port_policy, base_port, node_id_offset and static entries (compare "
          "kafka_psc_proxy_broker_map_hash across replicas)");
    } else if (map_differs) {
      s.rows.push_back({std::int64_t{p.port}, expected, "map differs", seen_text,
                        "the map served there: " + map_text(served)});
      c.report.find("through",
                    "the proxy answering at " + address.str() + " serves the map " +
                        map_text(served) + "; this config serves " + map_text(expected_map),
                    "replicas behind one endpoint must serve the same map: align their "
                    "brokers settings (compare kafka_psc_proxy_broker_map_hash)");
    } else {
      s.rows.push_back({std::int64_t{p.port}, expected, "OK", seen_text, r.detail});
    }
  }
  c.report.sections.push_back(std::move(s));
}

}  // namespace kpp::app
