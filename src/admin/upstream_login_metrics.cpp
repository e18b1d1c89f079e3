#include "kpp/admin/upstream_login_metrics.h"

#include "kpp/admin/prometheus_text.h"

namespace kpp::admin {

void upstream_login_metrics::render_prometheus(std::string& out) const {
  using prom::append_family;
  using prom::append_sample;
  using prom::label;
  append_family(out, "upstream_reauthentications_total", "counter",
                "KIP-368 re-authentications of the proxy's SASL login (upstream.sasl) on live "
                "broker connections, by outcome; a failure closes that client connection.");
  for (std::size_t i = 0; i < reauthentications_.size(); ++i) {
    const label ls[] = {{"outcome", reauthentication_outcome_names[i]}};
    append_sample(out, "upstream_reauthentications_total", ls, reauthentications_[i].value());
  }
}

upstream_login_metrics& global_upstream_login_metrics() {
  static upstream_login_metrics m;
  return m;
}

}  // namespace kpp::admin
