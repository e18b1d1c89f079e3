// The real kafka-psc-proxy binary as a child process: started with a YAML file or flags,
// output captured to a file, readiness polled on /ready, stopped with SIGTERM (SIGKILL if it
// does not exit in time) and always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kpp::test {

struct http_reply {
  int status = 0;  // 0: no answer
  std::string body;
};
// One GET on 127.0.0.1:port, bounded by `timeout`.
http_reply http_get(std::uint16_t port, const std::string& path,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

class proxy_process {
 public:
  // Starts `kafka-psc-proxy args...`.
  explicit proxy_process(std::vector<std::string> args);
  // Writes `yaml` to a temporary file and starts `kafka-psc-proxy --config FILE`.
  static proxy_process with_yaml(const std::string& yaml);
  ~proxy_process();
  proxy_process(proxy_process&& other) noexcept;
  proxy_process(const proxy_process&) = delete;
  proxy_process& operator=(const proxy_process&) = delete;

  // Polls GET /ready on the admin port until 200, the process exits, or the deadline.
  bool wait_ready(std::uint16_t admin_port,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
  // The same for GET /health: the process serves, whether or not discovery succeeded (a
  // proxy in front of a scripted fake broker is never ready).
  bool wait_healthy(std::uint16_t admin_port,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Polls the captured output until it contains `text`.
  bool wait_for_output(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) const;
  // SIGTERM, then waits; SIGKILL after `timeout`. Returns the exit status (or -signal).
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));
  void signal(int sig) const;
  // Waits for the process to exit by itself; nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] std::string output() const;
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& config_path() const { return config_path_; }
  // Number of open file descriptors of the process (from /proc).
  [[nodiscard]] int open_fds() const;

 private:
  bool wait_status_200(std::uint16_t admin_port, const char* path,
                       std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string output_path_;
  std::string config_path_;
};

// The binary under test (KPP_PROXY_BIN).
const char* proxy_binary();

// The lines of `text` that contain `needle`.
std::vector<std::string> lines_containing(const std::string& text, const std::string& needle);
// Polls the proxy's output until at least `count` lines contain `needle`, or 5 s pass.
std::vector<std::string> wait_lines(const proxy_process& proxy, const std::string& needle,
                                    std::size_t count);

}  // namespace kpp::test
