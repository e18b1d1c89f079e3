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
  auto store =
      net::tls_context_store::for_server("listener", tls_server_settings_from(c.tls),
                                         admin::global_tls_metrics().certificate("listener"));
  if (!store) {
    out.error = "tls: " + store.failure->message;
    return out;
  }
  out.store = store.value;
  for (const auto& name : net::uncovered_names(*out.store->current(), advertised_names(c)))
    spdlog::warn(
        "tls: the listener certificate ({}) does not cover \"{}\", which clients are told to "
        "connect to: their hostname verification will fail; add it to the certificate's SAN",
        c.tls.cert_file, name);
  out.refresher = std::make_shared<net::tls_refresher>(ex, std::vector{out.store}, c.tls.refresh);
  out.refresher->start();
  spdlog::info(
      "tls: client-facing listeners speak TLS (min {}, client certificates: {}, files "
      "re-read every {} ms and on SIGHUP)",
      config::to_string(c.tls.min_version), config::to_string(c.tls.client_auth),
      c.tls.refresh.count());
  return out;
}

}  // namespace kpp::app
