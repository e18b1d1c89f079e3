// Completes derived defaults and checks a config. Each problem names the key, the value and
// the expected form, so a user can fix the file without reading the source.
#pragma once

#include <string>
#include <vector>

#include "kpp/config/config.h"
#include "kpp/config/errors.h"

namespace kpp::config {

struct problem {
  std::string key;      // "brokers.advertised_host", "bootstrap.listeners[1].listen"
  std::string message;  // full text, starting with the key
  friend bool operator==(const problem&, const problem&) = default;
};

// Fills what follows from other keys (brokers.listen_host from listen, bootstrap.servers from
// the mappings' upstreams, sorted forbidden_api_keys), then returns every problem found.
[[nodiscard]] std::vector<problem> complete_and_check(config& c);

// What a valid config may still run into, for the start-up log: today, a port that an
// unbounded node-id range gives to a broker while another listener holds it.
[[nodiscard]] std::vector<std::string> start_warnings(const config& c);

// complete_and_check(); problems become one error, a line each.
[[nodiscard]] result<config> validate(config c);

}  // namespace kpp::config
