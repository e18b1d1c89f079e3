#include "support/proxy_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kpp::test {
namespace {

std::string temp_path(const std::string& suffix) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/kpp-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + suffix;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

const char* proxy_binary() {
  // KPP_PROXY_UNDER_TEST runs today's tests against another build, e.g. to show that a
  // regression test fails on the code before its fix.
  if (const char* other = std::getenv("KPP_PROXY_UNDER_TEST"); other && *other) return other;
  return KPP_PROXY_BIN;
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::vector<std::string> wait_lines(const proxy_process& proxy, const std::string& needle,
                                    std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto lines = lines_containing(proxy.output(), needle);
    if (lines.size() >= count || std::chrono::steady_clock::now() >= deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the log file
  }
}

http_reply http_get(std::uint16_t port, const std::string& path,
                    std::chrono::milliseconds timeout) {
  http_reply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return reply;
  }
  std::string data;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) break;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (data.rfind("HTTP/1.", 0) != 0 || data.size() < 12) return reply;
  reply.status = std::atoi(data.c_str() + 9);
  if (auto body = data.find("\r\n\r\n"); body != std::string::npos)
    reply.body = data.substr(body + 4);
  return reply;
}

proxy_process::proxy_process(std::vector<std::string> args) {
  output_path_ = temp_path(".log");
  std::vector<std::string> argv_store;
  argv_store.push_back(proxy_binary());
  for (auto& a : args) argv_store.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

proxy_process proxy_process::with_yaml(const std::string& yaml) {
  const auto path = temp_path(".yaml");
  std::ofstream(path) << yaml;
  proxy_process p({"--config", path});
  p.config_path_ = path;
  return p;
}

proxy_process::proxy_process(proxy_process&& other) noexcept
    : pid_(other.pid_),
      status_(other.status_),
      output_path_(std::move(other.output_path_)),
      config_path_(std::move(other.config_path_)) {
  other.pid_ = -1;
}

proxy_process::~proxy_process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (!output_path_.empty()) ::unlink(output_path_.c_str());
  if (!config_path_.empty()) ::unlink(config_path_.c_str());
}

bool proxy_process::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = decode_status(st);
    return false;
  }
  return true;
}

std::optional<int> proxy_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling waitpid
  }
  return status_;
}

bool proxy_process::wait_status_200(std::uint16_t admin_port, const char* path,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    if (http_get(admin_port, path, std::chrono::milliseconds(500)).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the admin endpoint
  }
  return false;
}

bool proxy_process::wait_ready(std::uint16_t admin_port, std::chrono::milliseconds timeout) {
  return wait_status_200(admin_port, "/ready", timeout);
}

bool proxy_process::wait_healthy(std::uint16_t admin_port, std::chrono::milliseconds timeout) {
  return wait_status_200(admin_port, "/health", timeout);
}

bool proxy_process::wait_for_output(const std::string& text,
                                    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the log file
  }
  return false;
}

void proxy_process::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

int proxy_process::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (status_) return *status_;
  ::kill(pid_, SIGTERM);
  if (auto st = wait_exit(timeout)) return *st;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  status_ = decode_status(st);
  return *status_;
}

std::string proxy_process::output() const {
  std::ifstream in(output_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int proxy_process::open_fds() const {
  const std::string dir = "/proc/" + std::to_string(pid_) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return -1;
  int n = 0;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

}  // namespace kpp::test
