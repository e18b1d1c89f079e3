#include "kpp/app/upstream_tls.h"

#include <spdlog/spdlog.h>

#include "kpp/admin/tls_metrics.h"
#include "kpp/app/tls_settings_mapping.h"

namespace kpp::app {
namespace {

upstream_tls load(const config::config& c, bool with_metrics) {
  upstream_tls out;
  const auto& t = c.upstream.tls;
  if (!t.enabled) return out;
  auto dial = std::make_shared<net::dial_tls>();
  dial->settings = tls_client_settings_from(t);
  // Only a client certificate has a notAfter to watch; a CA-only setup registers nothing
  // (a gauge at 0 would read as an expired certificate).
  auto metrics = with_metrics && !t.cert_file.empty()
                     ? admin::global_tls_metrics().certificate("upstream")
                     : nullptr;
  auto store = net::tls_context_store::for_client("upstream", dial->settings, std::move(metrics));
  if (!store) {
    out.error = "upstream.tls: " + store.failure->message;
    return out;
  }
  dial->store = std::move(store.value);
  out.dial = std::move(dial);
  return out;
}

}  // namespace

upstream_tls load_upstream_tls(const config::config& c) {
  return load(c, false);
}

upstream_tls start_upstream_tls(const config::config& c, boost::asio::any_io_executor ex) {
  auto out = load(c, true);
  if (!out.dial) return out;
  const auto& t = c.upstream.tls;
  out.refresher = std::make_shared<net::tls_refresher>(ex, std::vector{out.dial->store}, t.refresh);
  out.refresher->start();
  const std::string verify =
      t.insecure_skip_verify
          ? std::string("NOT verified (insecure_skip_verify)")
          : "verified against " +
                (t.ca_file.empty() ? std::string("the system trust store")
                                   : t.ca_file + (t.system_pool ? " and the system trust store"
                                                                : std::string())) +
                " for " +
                (t.server_name.empty() ? std::string("each broker's own host name")
                                       : "\"" + t.server_name + "\"");
  spdlog::info(
      "upstream.tls: the proxy speaks TLS to the brokers (min {}, broker certificates {}, client "
      "certificate: {}; files re-read every {} ms and on SIGHUP)",
      config::to_string(t.min_version), verify, t.cert_file.empty() ? "none" : t.cert_file,
      t.refresh.count());
  return out;
}

}  // namespace kpp::app
