#include "support/haproxy.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kpp::test {

namespace {

using namespace std::chrono_literals;

std::string temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() / ("kpp-haproxy-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(counter++) + "-" + name))
      .string();
}

}  // namespace

std::string haproxy_binary() {
  for (const char* p : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

haproxy_process::haproxy_process(const std::string& binary, const std::string& config)
    : config_path_(temp_path("haproxy.cfg")), log_path_(temp_path("haproxy.log")) {
  std::ofstream(config_path_) << config;
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(binary.c_str(), binary.c_str(), "-db", "-f", config_path_.c_str(), nullptr);
    ::_exit(127);
  }
}

haproxy_process::~haproxy_process() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!reaped_ && std::chrono::steady_clock::now() < deadline) {
      reaped_ = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
      if (!reaped_) std::this_thread::sleep_for(10ms);
    }
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::filesystem::remove(config_path_);
  std::filesystem::remove(log_path_);
}

bool haproxy_process::running() {
  if (pid_ <= 0 || reaped_) return false;
  reaped_ = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
  return !reaped_;
}

std::string haproxy_process::output() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace kpp::test
