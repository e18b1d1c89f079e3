#include "support/node_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace kpp::test {

std::string node_dir() {
  return std::string(KPP_SOURCE_DIR) + "/tests/node";
}

std::string which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool node_modules_installed() {
  struct stat st {};
  return ::stat((node_dir() + "/node_modules/@platformatic/kafka/package.json").c_str(), &st) == 0;
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

run_result run_bounded(std::vector<std::string> args, std::chrono::seconds timeout) {
  using namespace std::chrono_literals;
  static int runs = 0;
  const auto base = "/tmp/kpp-node-" + std::to_string(::getpid()) + "-" + std::to_string(++runs);
  const auto out_path = base + ".out", err_path = base + ".err";
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Owner-only: a run may be handed passwords and print what the client saw.
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  run_result r;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out);
  ::close(err);
  if (pid > 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int st = 0;
    for (;;) {
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
        r.status = -1000;
        break;
      }
      std::this_thread::sleep_for(20ms);  // polling waitpid
    }
  }
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return r;
}

}  // namespace kpp::test
