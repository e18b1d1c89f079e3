#include "kpp/app/client_tls.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kpp/admin/tls_metrics.h"
#include "kpp/app/tls_settings_mapping.h"

namespace kpp::app {
namespace {

void add(std::vector<std::string>& out, const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::") return;
  if (std::find(out.begin(), out.end(), host) == out.end()) out.push_back(host);
}

std::string fill(std::string tmpl, std::int32_t node) {
  const std::string ph = "{node_id}";
  for (auto pos = tmpl.find(ph); pos != std::string::npos; pos = tmpl.find(ph))
    tmpl.replace(pos, ph.size(), std::to_string(node));
  return tmpl;
}

}  // namespace

std::vector<std::string> advertised_names(const config::config& c) {
  std::vector<std::string> out;
  for (const auto& l : c.bootstrap.listeners)
    if (l.advertised) add(out, l.advertised->host);
  for (const auto& m : c.brokers.mappings) add(out, m.advertised.host);
  if (c.routing == config::routing_mode::sni) add(out, c.sni.bootstrap_host);
  for (const auto& s : c.brokers.static_brokers)
    if (s.advertised) add(out, s.advertised->host);
  if (!c.brokers.advertised_host.empty()) {
    if (c.brokers.static_brokers.empty()) add(out, fill(c.brokers.advertised_host, 0));
    for (const auto& s : c.brokers.static_brokers)
      if (!s.advertised) add(out, fill(c.brokers.advertised_host, s.node_id));
  }
  return out;
}

namespace {

// Loads one listener TLS block; warns for the names it must cover and does not.
std::shared_ptr<net::tls_context_store> load_listener_tls(const std::string& name,
                                                          const std::string& key,
                                                          const config::listener_tls_config& t,
                                                          const std::vector<std::string>& names,
                                                          std::string& error) {
  auto store = net::tls_context_store::for_server(name, tls_server_settings_from(t),
                                                  admin::global_tls_metrics().certificate(name));
  if (!store) {
    error = key + ": " + store.failure->message;
    return nullptr;
  }
  for (const auto& n : net::uncovered_names(*store.value->current(), names))
    spdlog::warn(
        "{}: the listener certificate ({}) does not cover \"{}\", which clients are told to "
        "connect to: their hostname verification will fail; add it to the certificate's SAN",
        key, t.cert_file, n);
  spdlog::info(
      "{}: {} speaks TLS (min {}, client certificates: {}, files re-read every {} ms and on "
      "SIGHUP)",
      key, name == "listener" ? "every client-facing listener" : name,
      config::to_string(t.min_version), config::to_string(t.client_auth), t.refresh.count());
  return std::move(store.value);
}

// routing: sni: the listener store, whose every context (at start and on reload) routes by the
// TLS server name, and a store per sni.certificates entry. Appends them all to `stores`.
bool start_sni_tls(const config::config& c, client_tls& out,
                   std::vector<std::shared_ptr<net::tls_context_store>>& stores) {
  const auto settings = tls_server_settings_from(c.tls);
  std::vector<std::shared_ptr<net::tls_context_store>> named;  // sni.certificates
  for (std::size_t i = 0; i < c.sni.certificates.size(); ++i) {
    auto s = settings;
    s.cert_file = c.sni.certificates[i].cert_file;
    s.key_file = c.sni.certificates[i].key_file;
    s.key_password = {};
    const auto label = "sni.certificates[" + std::to_string(i) + "]";
    auto store = net::tls_context_store::for_server(label, s,
                                                    admin::global_tls_metrics().certificate(label));
    if (!store) {
      out.error = label + ": " + store.failure->message;
      return false;
    }
    named.push_back(store.value);
  }
  auto brokers = routing::host_template::parse(c.brokers.advertised_host, nullptr);
  if (brokers)  // validation refuses a config without one
    out.sni =
        std::make_shared<const net::sni_router>(c.sni.bootstrap_host, std::move(*brokers), named);
  // The builder holds the router: it lives as long as any context that calls it.
  auto store = net::tls_context_store::create(
      "listener", net::watched_files(settings),
      [settings, sni = out.sni](const net::tls_file_snapshot& f) {
        auto built = net::make_server_context(settings, f);
        if (built && sni) sni->install(built.value->native_handle());
        return built;
      },
      admin::global_tls_metrics().certificate("listener"));
  if (!store) {
    out.error = "tls: " + store.failure->message;
    return false;
  }
  out.store = store.value;
  for (const auto& name : net::uncovered_names(*out.store->current(), advertised_names(c))) {
    if (std::any_of(named.begin(), named.end(), [&](const auto& n) {
          return net::uncovered_names(*n->current(), {name}).empty();
        }))
      continue;  // a per-name certificate (sni.certificates) covers it
    spdlog::warn(
        "tls: the listener certificate ({}) does not cover \"{}\", which clients are told to "
        "connect to: their hostname verification will fail; add it to the certificate's SAN",
        c.tls.cert_file, name);
  }
  stores.push_back(out.store);
  stores.insert(stores.end(), named.begin(), named.end());
  spdlog::info(
      "tls: the shared SNI listener speaks TLS (min {}, client certificates: {}, files re-read "
      "every {} ms and on SIGHUP)",
      config::to_string(c.tls.min_version), config::to_string(c.tls.client_auth),
      c.tls.refresh.count());
  return true;
}

}  // namespace

client_tls start_client_tls(const config::config& c, boost::asio::any_io_executor ex) {
  client_tls out;
  std::vector<std::shared_ptr<net::tls_context_store>> stores;
  std::chrono::milliseconds refresh{0};
  auto take_refresh = [&refresh](std::chrono::milliseconds r) {
    if (r.count() > 0 && (refresh.count() == 0 || r < refresh)) refresh = r;
  };
  if (c.tls.enabled && c.routing == config::routing_mode::sni) {
    if (!start_sni_tls(c, out, stores)) return out;
    take_refresh(c.tls.refresh);
  } else if (c.tls.enabled) {
    // The names clients reach through a listener with its own block are that block's.
    auto top = c;
    for (auto& l : top.bootstrap.listeners)
      if (l.tls) l.advertised.reset();
    out.store = load_listener_tls("listener", "tls", c.tls, advertised_names(top), out.error);
    if (!out.store) return out;
    stores.push_back(out.store);
    take_refresh(c.tls.refresh);
  }
  for (std::size_t i = 0; i < c.bootstrap.listeners.size(); ++i) {
    const auto& l = c.bootstrap.listeners[i];
    if (!l.tls) continue;
    std::shared_ptr<net::tls_context_store> store;
    const std::string key = "bootstrap.listeners[" + std::to_string(i) + "].tls";
    if (l.tls->enabled) {
      std::vector<std::string> names;
      if (l.advertised) names.push_back(l.advertised->host);
      store = load_listener_tls("bootstrap:" + std::to_string(l.listen.port), key, *l.tls, names,
                                out.error);
      if (!store) return out;
      stores.push_back(store);
      take_refresh(l.tls->refresh);
    } else {
      spdlog::info("{}: the bootstrap listener on {} is plaintext (its tls block says so)", key,
                   l.listen.str());
    }
    out.overrides.emplace(l.listen, std::move(store));
  }
  if (stores.empty()) return out;
  // One refresher for every listener store, at the shortest interval asked for: a reload
  // re-reads the files and rebuilds only what changed.
  out.refresher = std::make_shared<net::tls_refresher>(ex, std::move(stores), refresh);
  out.refresher->start();
  return out;
}

}  // namespace kpp::app
