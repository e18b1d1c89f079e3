#include "bench_sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

std::atomic<int> g_last_backlog{0};

}  // namespace

// librdkafka's mock cluster listens with a backlog of 5: a burst of proxy dials would stall
// on SYN retransmits. librdkafka is a shared library, so `-Wl,--wrap=listen` would not reach
// its call; defining listen() in the executable interposes it for the whole process instead
// (the linker exports it because librdkafka references it; see CMakeLists.txt).
extern "C" int listen(int fd, int backlog) noexcept {
  const int raised = std::max(backlog, 4096);
  g_last_backlog = raised;
  return static_cast<int>(::syscall(SYS_listen, fd, raised));
}

namespace kpp::bench {
namespace {

constexpr int max_children = 16;
std::array<std::atomic<pid_t>, max_children> g_children{};

void register_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}
void unregister_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void on_signal(int) {
  kill_all_children();
  static const char msg[] = "\nkafka-psc-proxy-bench: interrupted, children killed\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  ::_exit(130);
}

// Field `index` (1-based, as in proc(5)) of /proc/<pid>/stat or a task's stat.
std::vector<std::string> stat_fields(const std::string& path, std::string* comm) {
  const std::string text = read_file(path);
  std::vector<std::string> out;
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return out;
  if (comm) *comm = text.substr(open + 1, close - open - 1);
  out.push_back(text.substr(0, open));  // pid
  out.push_back("comm");
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

double ticks_to_seconds(const std::vector<std::string>& f) {
  if (f.size() < 15) return 0;
  static const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(f[13]) + std::stod(f[14])) / hz;  // utime (14) + stime (15)
}

std::uint64_t status_kib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) return std::strtoull(line.c_str() + std::strlen(key), nullptr, 10);
  return 0;
}

}  // namespace

child::child(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::string>& extra_env)
    : log_path_(log_path) {
  std::vector<std::string> store = argv;
  std::vector<char*> args;
  for (auto& a : store) args.push_back(a.data());
  args.push_back(nullptr);
  const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Dies with the bench even if the bench is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(127);
    ::dup2(out, 1);
    ::dup2(out, 2);
    for (const auto& e : extra_env) ::putenv(const_cast<char*>(e.c_str()));
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  if (out >= 0) ::close(out);
  if (pid_ > 0) register_child(pid_);
}

child::~child() {
  stop(std::chrono::milliseconds(2000));
}

child::child(child&& other) noexcept : pid_(other.pid_), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

child& child::operator=(child&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

bool child::running() {
  if (pid_ <= 0) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    unregister_child(pid_);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string child::log_tail(std::size_t bytes) const {
  const std::string all = read_file(log_path_);
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

void child::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int st = 0;
  while (::waitpid(pid_, &st, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling waitpid, bounded
  }
  unregister_child(pid_);
  pid_ = -1;
}

void kill_all_children() {
  for (auto& slot : g_children)
    if (const pid_t p = slot.load(); p > 0) ::kill(p, SIGKILL);
}

void install_cleanup(std::chrono::seconds limit) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  std::thread([limit] {
    std::this_thread::sleep_for(limit);
    std::fprintf(stderr, "\nkafka-psc-proxy-bench: watchdog: run exceeded %lld s, aborting\n",
                 static_cast<long long>(limit.count()));
    kill_all_children();
    std::_Exit(3);
  }).detach();
}

double process_cpu_seconds(pid_t pid) {
  return ticks_to_seconds(stat_fields("/proc/" + std::to_string(pid) + "/stat", nullptr));
}

std::uint64_t process_minor_faults(pid_t pid) {
  const auto f = stat_fields("/proc/" + std::to_string(pid) + "/stat", nullptr);
  return f.size() > 9 ? std::stoull(f[9]) : 0;  // minflt (10)
}

self_cpu self_cpu_split(const std::string& broker_marker) {
  self_cpu out;
  const double total = process_cpu_seconds(::getpid());
  for (const auto& [name, seconds] : self_threads())
    if (name.find(broker_marker) != std::string::npos) out.broker += seconds;
  out.other = total - out.broker;
  return out;
}

std::map<std::string, double> self_threads() {
  std::map<std::string, double> out;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string comm;
    const auto f = stat_fields(std::string("/proc/self/task/") + e->d_name + "/stat", &comm);
    out[comm + "#" + e->d_name] = ticks_to_seconds(f);
  }
  ::closedir(d);
  return out;
}

std::uint64_t rss_bytes(pid_t pid) {
  return status_kib(pid, "VmRSS:") * 1024;
}
std::uint64_t hwm_bytes(pid_t pid) {
  return status_kib(pid, "VmHWM:") * 1024;
}

bool reset_hwm(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

std::uint64_t raise_nofile() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

bool wait_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a port, bounded
  }
  return false;
}

int last_listen_backlog() {
  return g_last_backlog.load();
}

const std::string& temp_dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kpp-bench-XXXXXX").string();
    const char* made = ::mkdtemp(tmpl.data());
    return std::string(made ? made : "/tmp");
  }();
  return dir;
}

void remove_temp_dir() {
  std::error_code ec;
  if (temp_dir() != "/tmp") std::filesystem::remove_all(temp_dir(), ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::string joined_ports(const std::vector<std::uint16_t>& ports) {
  std::string out;
  for (const auto port : ports) out += (out.empty() ? "" : ",") + std::to_string(port);
  return out;
}

}  // namespace kpp::bench
