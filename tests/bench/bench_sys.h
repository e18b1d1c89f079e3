// System plumbing for kafka-psc-proxy-bench: child processes that never outlive the bench
// (SIGINT, a crash or a watchdog all reap them), /proc readings (CPU, RSS, per-thread CPU of
// this process) and small helpers (ports, file-descriptor limit).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kpp::bench {

// A child process with stdout/stderr captured in `log_path`.
class child {
 public:
  child() = default;
  child(const std::vector<std::string>& argv, const std::string& log_path,
        const std::vector<std::string>& extra_env = {});
  ~child();
  child(child&& other) noexcept;
  child& operator=(child&& other) noexcept;
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();
  [[nodiscard]] std::string log_tail(std::size_t bytes = 2000) const;
  // SIGTERM, then SIGKILL after `grace`; always reaped.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Kills every live child (async-signal-safe); installed for SIGINT/SIGTERM and the watchdog.
void kill_all_children();
// SIGINT/SIGTERM: kill the children, exit 130. A watchdog thread does the same after `limit`.
void install_cleanup(std::chrono::seconds limit);

// utime + stime of a process (children of it not included), in seconds.
double process_cpu_seconds(pid_t pid);
// Minor page faults of a process so far (minflt): memory the allocator gave back and took again.
std::uint64_t process_minor_faults(pid_t pid);
// CPU of this process split by thread: threads whose name matches `broker_marker`
// (librdkafka's mock cluster thread) versus everything else; exited threads count in `other`.
struct self_cpu {
  double broker = 0;
  double other = 0;
};
self_cpu self_cpu_split(const std::string& broker_marker);
// Names of this process's threads with their CPU seconds (diagnostics).
std::map<std::string, double> self_threads();
// VmRSS / VmHWM of a process in bytes (0 if unreadable).
std::uint64_t rss_bytes(pid_t pid);
std::uint64_t hwm_bytes(pid_t pid);
// Resets VmHWM to the current RSS (Linux clear_refs 5). False if not allowed.
bool reset_hwm(pid_t pid);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
std::uint64_t raise_nofile();
// "127.0.0.1:PORT", and "P1,P2,..." (kfake-broker's -ports).
std::string loopback(std::uint16_t port);
std::string joined_ports(const std::vector<std::uint16_t>& ports);
// True once a TCP connect to 127.0.0.1:port succeeds, polling until `timeout`.
bool wait_port(std::uint16_t port, std::chrono::milliseconds timeout);
// The listen backlog the in-process listen() override applied last (0: never called).
int last_listen_backlog();

// Temporary directory of this run (created on first use, removed by remove_temp_dir).
const std::string& temp_dir();
void remove_temp_dir();
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

}  // namespace kpp::bench
