// The daemon: wires config, broker map, listeners, discovery, admin and signals together.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "kpp/config/config.h"

namespace kpp::app {

struct app_hooks {
  // Called (on the main context) whenever readiness changes; the demo uses it.
  std::function<void(bool ready)> on_ready;
};

class proxy_app {
 public:
  proxy_app(config::config cfg, std::string config_path, app_hooks hooks = {});
  ~proxy_app();
  proxy_app(const proxy_app&) = delete;
  proxy_app& operator=(const proxy_app&) = delete;

  // Runs until SIGTERM/SIGINT (or stop()) and the drain that follows. Returns the exit code.
  int run();
  // Starts a drain as SIGTERM does. Thread-safe.
  void stop();
  // Node id -> advertised host:port, as clients see them (demo, tests).
  [[nodiscard]] std::map<std::int32_t, std::string> advertised_map() const;
  [[nodiscard]] std::map<std::int32_t, std::uint16_t> port_map() const;
  [[nodiscard]] bool ready() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kpp::app
