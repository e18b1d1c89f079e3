#include "support/metrics_scrape.h"

#include <cstdlib>
#include <sstream>

#include "support/proxy_process.h"

namespace kpp::test {

std::optional<double> metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return std::nullopt;
}

std::optional<double> scrape(std::uint16_t admin_port, const std::string& series) {
  const auto reply = http_get(admin_port, "/metrics");
  if (reply.status != 200) return std::nullopt;
  return metric_value(reply.body, series);
}

std::string protocol_errors_series(const std::string& cause) {
  return "kafka_psc_proxy_protocol_errors_total{cause=\"" + cause + "\"}";
}

}  // namespace kpp::test
