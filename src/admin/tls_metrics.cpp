#include "kpp/admin/tls_metrics.h"

#include "kpp/admin/prometheus_text.h"

namespace kpp::admin {
std::shared_ptr<tls_certificate_metrics> tls_metrics::certificate(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = certs_.find(name);
  if (it == certs_.end())
    it = certs_.emplace(std::string(name), std::make_shared<tls_certificate_metrics>()).first;
  return it->second;
}

void tls_metrics::render_prometheus(std::string& out) const {
  using prom::append_family;
  using prom::append_sample;
  using prom::label;
  {
    std::lock_guard lock(mu_);
    if (!certs_.empty()) {
      append_family(out, "tls_certificate_not_after_seconds", "gauge",
                    "notAfter of the loaded certificate, unix seconds.");
      for (const auto& [name, m] : certs_) {
        const label ls[] = {{"certificate", name}};
        append_sample(out, "tls_certificate_not_after_seconds", ls, m->not_after_unix.value());
      }
      append_family(out, "tls_certificate_reloads_total", "counter",
                    "Certificate, key, CA or CRL changes loaded without a restart.");
      for (const auto& [name, m] : certs_) {
        const label ls[] = {{"certificate", name}};
        append_sample(out, "tls_certificate_reloads_total", ls, m->reloads.value());
      }
      append_family(out, "tls_certificate_reload_failures_total", "counter",
                    "Changed TLS files that could not be loaded (the previous ones stay in use).");
      for (const auto& [name, m] : certs_) {
        const label ls[] = {{"certificate", name}};
        append_sample(out, "tls_certificate_reload_failures_total", ls, m->reload_failures.value());
      }
    }
  }
  append_family(out, "tls_handshake_failures_total", "counter",
                "Failed TLS handshakes, by leg (client or upstream) and cause.");
  for (std::size_t leg = 0; leg < failures_.size(); ++leg) {
    for (std::size_t c = 0; c < tls_handshake_cause_count; ++c) {
      const label ls[] = {{"leg", net::to_string(static_cast<tls_leg>(leg))},
                          {"cause", net::tls_handshake_cause_names[c]}};
      append_sample(out, "tls_handshake_failures_total", ls, failures_[leg][c].value());
    }
  }
}

tls_metrics& global_tls_metrics() {
  static tls_metrics m;
  return m;
}

}  // namespace kpp::admin
