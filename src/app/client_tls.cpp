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

client_tls start_client_tls(const config::config& c, boost::asio::any_io_executor ex) {
  client_tls out;
  if (!c.tls.enabled) return out;
  const auto settings = tls_server_settings_from(c.tls);
  std::vector<std::shared_ptr<net::tls_context_store>> named;  // sni.certificates
  if (c.routing == config::routing_mode::sni) {
    for (std::size_t i = 0; i < c.sni.certificates.size(); ++i) {
      auto s = settings;
      s.cert_file = c.sni.certificates[i].cert_file;
      s.key_file = c.sni.certificates[i].key_file;
      s.key_password = {};
      const auto label = "sni.certificates[" + std::to_string(i) + "]";
      auto store = net::tls_context_store::for_server(
          label, s, admin::global_tls_metrics().certificate(label));
      if (!store) {
        out.error = label + ": " + store.failure->message;
        return out;
      }
      named.push_back(store.value);
    }
    auto brokers = routing::host_template::parse(c.brokers.advertised_host, nullptr);
    if (brokers)  // validation refuses a config without one
      out.sni =
          std::make_shared<const net::sni_router>(c.sni.bootstrap_host, std::move(*brokers), named);
  }
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
    return out;
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
  named.insert(named.begin(), out.store);
  out.refresher = std::make_shared<net::tls_refresher>(ex, std::move(named), c.tls.refresh);
  out.refresher->start();
  spdlog::info(
      "tls: client-facing listeners speak TLS (min {}, client certificates: {}, files "
      "re-read every {} ms and on SIGHUP)",
      config::to_string(c.tls.min_version), config::to_string(c.tls.client_auth),
      c.tls.refresh.count());
  return out;
}

}  // namespace kpp::app
