#include "kpp/admin/client_auth_metrics.h"

#include "kpp/admin/prometheus_text.h"

namespace kpp::admin {

void client_auth_metrics::render_prometheus(std::string& out) const {
  using prom::append_family;
  using prom::append_sample;
  using prom::label;
  append_family(out, "client_logins_total", "counter",
                "Client SASL logins at the proxy (listeners.sasl), by outcome.");
  for (std::size_t i = 0; i < outcomes_.size(); ++i) {
    const label ls[] = {{"outcome", client_auth_outcome_names[i]}};
    append_sample(out, "client_logins_total", ls, outcomes_[i].value());
  }
  append_family(out, "client_requests_before_login_total", "counter",
                "Connections closed for a request other than ApiVersions and SASL before login.");
  append_sample(out, "client_requests_before_login_total", {}, before_auth_.value());
}

client_auth_metrics& global_client_auth_metrics() {
  static client_auth_metrics m;
  return m;
}

}  // namespace kpp::admin
