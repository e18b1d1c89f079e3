#include "kpp/app/discovery_log.h"

namespace kpp::app {

using discovery::poll_failure;

std::optional<std::string> discovery_log::on_failure(const discovery::poll_outcome& outcome,
                                                     std::chrono::steady_clock::time_point now) {
  const bool passive = outcome.failure == poll_failure::sasl_required;
  if (last_ && last_->kind == outcome.failure && (passive || last_->error == outcome.error)) {
    // Passive discovery is a steady state (/ready and the metrics show it): said once.
    if (passive || now - last_->at < repeat_every_) {
      ++last_->repeats;
      return std::nullopt;
    }
  }
  const std::uint64_t repeats =
      last_ && last_->kind == outcome.failure && last_->error == outcome.error ? last_->repeats : 0;
  last_ = logged{outcome.failure, outcome.error, now, 0};
  if (passive)
    return "discovery: " + outcome.error +
           ". The proxy is in pass-through SASL mode (clients log in to the brokers through it) "
           "and discovery has no login, so brokers are learnt from the responses clients "
           "receive; /ready reports ready (degraded). Set discovery.sasl (mechanism, username, "
           "password_file: a broker user for the proxy's own Metadata requests) to pre-bind new "
           "brokers and verify the cluster";
  std::string line = "discovery failed: " + outcome.error;
  if (repeats)
    line += " (again; " + std::to_string(repeats) + " more failed round(s) not logged since)";
  return line;
}

}  // namespace kpp::app
