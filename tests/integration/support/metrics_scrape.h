// Reading one sample out of the proxy's Prometheus text (/metrics), for before/after checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kpp::test {

// The value of the sample whose name-and-labels part equals `series` exactly, e.g.
// kafka_psc_proxy_protocol_errors_total{cause="frame_too_large"}; nullopt when absent.
std::optional<double> metric_value(const std::string& prometheus_text, const std::string& series);

// GET /metrics on 127.0.0.1:admin_port and read `series`; nullopt if either fails.
std::optional<double> scrape(std::uint16_t admin_port, const std::string& series);

// For counters whose zero samples the proxy leaves out (the per-API-key families): the
// sample's value, 0 when the family is declared (`# TYPE <name> counter`) but has no such
// sample yet, and nullopt when the family does not exist at all, so a renamed metric fails.
std::optional<double> counter_value(const std::string& prometheus_text, const std::string& series);
std::optional<double> scrape_counter(std::uint16_t admin_port, const std::string& series);

// The sum of every sample whose line starts with `prefix` (a metric name, optionally with the
// start of its labels), under the same rule: nullopt when the family is not declared or
// /metrics did not answer.
std::optional<long> metric_sum(std::uint16_t admin_port, const std::string& prefix);

// kafka_psc_proxy_protocol_errors_total{cause="<cause>"}
std::string protocol_errors_series(const std::string& cause);

}  // namespace kpp::test
