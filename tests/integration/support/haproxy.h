// HAProxy (Debian's haproxy, test-only) as a child process in the foreground, for tests that
// put proxy replicas behind one TCP load balancer as a PSC endpoint does.
#pragma once

#include <sys/types.h>

#include <string>

namespace kpp::test {

// The haproxy executable, or empty when it is not installed.
std::string haproxy_binary();

// Runs `binary -db -f CONFIG` with `config` written to a temporary file; the destructor
// stops (SIGTERM, then SIGKILL) and reaps it and removes its files.
class haproxy_process {
 public:
  haproxy_process(const std::string& binary, const std::string& config);
  ~haproxy_process();
  haproxy_process(const haproxy_process&) = delete;
  haproxy_process& operator=(const haproxy_process&) = delete;

  bool running();
  [[nodiscard]] std::string output() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string config_path_;
  std::string log_path_;
};

}  // namespace kpp::test
