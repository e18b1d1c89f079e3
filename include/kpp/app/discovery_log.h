// What a discovery round says to the operator: one log line per new situation instead of one
// per retry (discovery retries every second while failing), and, for passive discovery (the
// brokers require SASL and discovery has no login, in pass-through SASL), the one line that
// explains it and the degraded note /ready shows.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "kpp/discovery/metadata_poller.h"

namespace kpp::app {

// /ready's note while passive: ready, but the proxy learns brokers from client responses.
inline constexpr const char* passive_discovery_note =
    "discovery is passive: the brokers require SASL and discovery has no login, so brokers are "
    "learnt from the responses clients receive (set discovery.sasl to pre-bind them)";

class discovery_log {
 public:
  explicit discovery_log(std::chrono::steady_clock::duration repeat_every = std::chrono::minutes(1))
      : repeat_every_(repeat_every) {}

  // The warning to log for a failed round, or nullopt when it only repeats the last one:
  // a failure is logged when it differs from the last one logged, or `repeat_every` after it
  // (saying how often it recurred meanwhile); passive discovery once, on entering it.
  [[nodiscard]] std::optional<std::string> on_failure(const discovery::poll_outcome& outcome,
                                                      std::chrono::steady_clock::time_point now);
  // A successful round: the next failure is news again.
  void on_success() { last_.reset(); }

 private:
  struct logged {
    discovery::poll_failure kind;
    std::string error;
    std::chrono::steady_clock::time_point at;
    std::uint64_t repeats = 0;  // rounds since that did not log
  };
  std::chrono::steady_clock::duration repeat_every_;
  std::optional<logged> last_;
};

}  // namespace kpp::app
