// `check --through ADDRESS`, step 5: what a client on a consumer VM gets at each advertised
// port of the endpoint address (with routing: sni, at the shared port under each name): OK,
// refused, timeout, TLS mismatch, or another broker than this config maps there (replicas
// behind the endpoint disagree on the map). A listener the config gives a tls block is spoken
// to in TLS, with the advertised name as SNI: the handshake, the presented certificate's
// notAfter and whether its SAN covers the advertised name are reported.
#include <ctime>
#include <map>

#include "kpp/app/check_steps.h"
#include "kpp/app/tls_settings_mapping.h"
#include "kpp/net/tls_probe_context.h"
#include "kpp/routing/host_template_match.h"

namespace kpp::app {

namespace {

std::string map_text(const std::map<std::int32_t, std::uint16_t>& m) {
  std::string out;
  for (const auto& [node, port] : m)
    out += (out.empty() ? "" : " ") + std::to_string(node) + ":" + std::to_string(port);
  return out;
}

std::string date_text(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The client side for one listener tls block: trusts that block's own certificates (and with
// routing: sni the per-name ones) plus the system store. Null (with `error`) when its files
// cannot be read.
std::shared_ptr<const net::dial_tls> dial_tls_for(const config::config& cfg,
                                                  const config::listener_tls_config& t, bool sni,
                                                  std::string& error) {
  std::vector<std::string> files{t.cert_file};
  if (sni)
    for (const auto& cert : cfg.sni.certificates) files.push_back(cert.cert_file);
  const auto min_version = tls_server_settings_from(t).min_version;
  auto store = net::listener_probe_store(files, min_version);
  if (!store) {
    error = store.failure->message;
    return nullptr;
  }
  auto d = std::make_shared<net::dial_tls>();
  d->store = std::move(store.value);
  d->settings.min_version = min_version;
  return d;
}

std::string fix_for(probe_outcome o, const client_port& p, const std::string& address,
                    const std::string& expected) {
  switch (o) {
    case probe_outcome::refused:
      return "forward port " + std::to_string(p.port) +
             " on the endpoint's forwarding rule / load balancer to the proxy, and check "
             "the proxy listens on it (see Ports)";
    case probe_outcome::timeout:
      return "a firewall or the forwarding rule drops port " + std::to_string(p.port) +
             ": allow and forward the whole broker port range to the proxy";
    case probe_outcome::tls_mismatch:
      if (p.tls)
        return "the config gives this listener a tls block, but plaintext answered: something "
               "on the path terminates TLS, or a proxy without the tls block serves the port";
      return "something on this path speaks TLS: the proxy's listeners are plaintext; "
             "connect the clients in plaintext or terminate TLS in front of the proxy";
    case probe_outcome::tls_failed:
      // The probe trusts the configured chain itself, so a failure here means the port
      // serves another certificate than the config names, an expired one, or no common
      // protocol version / cipher.
      return "the certificate served is not the one the config names, or it is not valid "
             "now, or no protocol version or cipher is shared: check that the running proxy "
             "uses this config (tls.cert_file) and that its certificate has not expired";
    default:
      return "make " + address + " reach the proxy's listener for " + expected;
  }
}

}  // namespace

boost::asio::awaitable<void> check_through(check_context& c, const planned_map& map) {
  if (!c.through) co_return;
  check_section s;
  s.key = "through";
  s.title = "Through " + *c.through + " (ApiVersions + Metadata at each advertised port)";
  bool any_tls = false, any_sni = false, any_mtls = false;
  for (const auto& p : map.client_ports) {
    any_tls = any_tls || p.tls;
    any_sni = any_sni || p.sni;
    any_mtls = any_mtls || (p.tls && p.tls->client_auth == config::tls_client_auth::require);
  }
  if (any_tls)
    s.note =
        "TLS listeners: the advertised name as SNI; the certificate verified against the "
        "listener's own (tls.cert_file) and the system trust store";
  // The check has no client certificate to present: past the handshake such a listener
  // closes, and the rows say so; the handshake columns still hold.
  if (any_mtls)
    s.note += "; client_auth: require: checked up to the handshake only (no client certificate)";
  s.columns = {"port", "expected"};
  if (any_sni) s.columns.push_back("name");
  for (const char* col : {"result", "seen"}) s.columns.emplace_back(col);
  if (any_tls)
    for (const char* col : {"tls", "not_after", "san"}) s.columns.emplace_back(col);
  s.columns.emplace_back("detail");

  // node -> port, as this config serves it.
  std::map<std::int32_t, std::uint16_t> expected_map;
  for (const auto& r : map.routes) expected_map[r.node_id] = r.advertised.port;

  // The endpoint leads to the proxy's listeners, not to brokers: upstream.tls and upstream.sasl
  // do not apply; the listeners' own tls blocks do.
  auto base = c.probe;
  base.tls = nullptr;
  base.login = nullptr;
  std::map<const config::listener_tls_config*, std::shared_ptr<const net::dial_tls>> dials;
  std::map<const config::listener_tls_config*, std::string> dial_errors;
  std::vector<routing::host_port> addresses;
  std::vector<probe_options> options;
  for (const auto& p : map.client_ports) {
    addresses.push_back({*c.through, p.port});
    auto o = base;
    if (p.tls) {
      if (!dials.contains(p.tls) && !dial_errors.contains(p.tls)) {
        std::string error;
        auto d = dial_tls_for(c.cfg, *p.tls, p.tls == &c.cfg.tls && any_sni, error);
        if (d)
          dials[p.tls] = std::move(d);
        else
          dial_errors[p.tls] = error;
      }
      if (auto d = dials.find(p.tls); d != dials.end()) o.tls = d->second;
      o.tls_name = p.advertised_host.empty() ? *c.through : p.advertised_host;
    }
    options.push_back(std::move(o));
  }
  for (const auto& [tls, error] : dial_errors)
    c.report.find("through", "cannot check the TLS listeners: " + error,
                  "fix the certificate file named above (the proxy would refuse to start "
                  "with it)");
  const auto results = co_await probe_each(addresses, options);

  for (std::size_t i = 0; i < map.client_ports.size(); ++i) {
    const auto& p = map.client_ports[i];
    const auto& r = results[i];
    const auto& address = addresses[i];
    const std::string expected =
        p.node_id ? "broker " + std::to_string(*p.node_id) : std::string("bootstrap");
    // "bootstrap at 10.0.0.5:9093", or with SNI "broker 1 (b1.example.com) at 10.0.0.5:9093".
    const std::string where = expected + (p.sni ? " (" + p.advertised_host + ")" : std::string()) +
                              " at " + address.str();
    auto row = [&](std::string result, std::string seen, std::string detail) {
      std::vector<check_cell> cells{std::int64_t{p.port}, expected};
      if (any_sni) cells.emplace_back(p.sni ? p.advertised_host : std::string("-"));
      cells.emplace_back(std::move(result));
      cells.emplace_back(std::move(seen));
      if (any_tls) {
        if (!p.tls) {
          for (int k = 0; k < 3; ++k) cells.emplace_back("-");
        } else {
          cells.emplace_back(r.tls_handshake_ok ? "OK"
                             : r.outcome == probe_outcome::tls_failed ||
                                     r.outcome == probe_outcome::tls_mismatch
                                 ? "failed"
                                 : "-");
          cells.emplace_back(r.tls_not_after ? date_text(*r.tls_not_after) : std::string("-"));
          cells.emplace_back(!r.tls_handshake_ok       ? std::string("-")
                             : r.tls_uncovered.empty() ? "covers " + options[i].tls_name
                                                       : "NOT " + options[i].tls_name);
        }
      }
      cells.emplace_back(std::move(detail));
      s.rows.push_back(std::move(cells));
    };
    if (p.tls && !options[i].tls) {
      row("not checked", "-", "the listener's TLS files cannot be read");
      continue;
    }
    if (r.tls_handshake_ok && !r.tls_uncovered.empty())
      c.report.find(
          "through",
          "the certificate presented for " + where + " does not cover \"" + options[i].tls_name +
              "\", which clients are told to connect to: their hostname verification "
              "will fail",
          "add \"" + options[i].tls_name + "\" to the certificate's SAN (tls.cert_file" +
              (p.sni ? std::string(", or an sni.certificates entry covering it") : std::string()) +
              ")");
    if (r.outcome != probe_outcome::ok && r.tls_handshake_ok &&
        p.tls->client_auth == config::tls_client_auth::require) {
      // Refused after the handshake for want of a client certificate, as expected.
      row("not checked", "-",
          "client_auth: require, and the check has no client certificate (" + r.detail + ")");
      continue;
    }
    if (r.outcome != probe_outcome::ok) {
      row(to_string(r.outcome), "-", r.detail);
      c.report.find("through", where + ": " + to_string(r.outcome) + " (" + r.detail + ")",
                    fix_for(r.outcome, p, address.str(), expected));
      continue;
    }
    std::map<std::int32_t, std::uint16_t> served;
    std::optional<std::int32_t> seen;
    for (const auto& b : r.brokers) {
      served[b.node_id] = b.address.port;
      // On the shared SNI port the name, not the port, tells the brokers apart.
      if (b.address.port == p.port &&
          (!p.sni || routing::host_names_equal(b.address.host, p.advertised_host)))
        seen = b.node_id;
    }
    const std::string seen_text = seen ? "broker " + std::to_string(*seen) : std::string("none");
    const bool wrong_broker = p.node_id && seen != p.node_id;
    const bool map_differs = !expected_map.empty() && served != expected_map;
    if (wrong_broker) {
      row("wrong broker answered", seen_text, "the map served there: " + map_text(served));
      c.report.find(
          "through",
          "at " + address.str() + " the proxy that answered maps " +
              (seen ? "broker " + std::to_string(*seen) : std::string("no broker")) + " to " +
              (p.sni ? "\"" + p.advertised_host + "\"" : std::string("that port")) +
              "; this config maps broker " + std::to_string(*p.node_id) + " there (map served: " +
              map_text(served) + "; this config: " + map_text(expected_map) + ")",
          "replicas behind one endpoint must serve the same map: give every replica the same "
          "brokers.port_policy, base_port, node_id_offset and static entries (compare "
          "kafka_psc_proxy_broker_map_hash across replicas)");
    } else if (map_differs) {
      row("map differs", seen_text, "the map served there: " + map_text(served));
      c.report.find("through",
                    "the proxy answering at " + address.str() + " serves the map " +
                        map_text(served) + "; this config serves " + map_text(expected_map),
                    "replicas behind one endpoint must serve the same map: align their "
                    "brokers settings (compare kafka_psc_proxy_broker_map_hash)");
    } else {
      row("OK", seen_text, r.detail);
    }
  }
  c.report.sections.push_back(std::move(s));
}

}  // namespace kpp::app
