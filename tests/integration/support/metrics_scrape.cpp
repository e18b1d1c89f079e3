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

namespace {

// "name{labels}" or "name" -> "name"
std::string family_of(const std::string& series) {
  return series.substr(0, series.find('{'));
}

bool family_declared(const std::string& text, const std::string& family) {
  const std::string type_line = "# TYPE " + family + " ";
  return text.starts_with(type_line) || text.find("\n" + type_line) != std::string::npos;
}

}  // namespace

std::optional<double> counter_value(const std::string& text, const std::string& series) {
  if (auto v = metric_value(text, series)) return v;
  if (family_declared(text, family_of(series))) return 0.0;
  return std::nullopt;
}

std::optional<double> scrape_counter(std::uint16_t admin_port, const std::string& series) {
  const auto reply = http_get(admin_port, "/metrics");
  if (reply.status != 200) return std::nullopt;
  return counter_value(reply.body, series);
}

std::optional<long> metric_sum(std::uint16_t admin_port, const std::string& prefix) {
  const auto reply = http_get(admin_port, "/metrics");
  if (reply.status != 200 || !family_declared(reply.body, family_of(prefix))) return std::nullopt;
  long sum = 0;
  std::istringstream in(reply.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto space = line.rfind(' ');
    if (space != std::string::npos) sum += std::atol(line.c_str() + space + 1);
  }
  return sum;
}

std::string protocol_errors_series(const std::string& cause) {
  return "kafka_psc_proxy_protocol_errors_total{cause=\"" + cause + "\"}";
}

}  // namespace kpp::test
