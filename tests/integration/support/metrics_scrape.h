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

// kafka_psc_proxy_protocol_errors_total{cause="<cause>"}
std::string protocol_errors_series(const std::string& cause);

}  // namespace kpp::test
