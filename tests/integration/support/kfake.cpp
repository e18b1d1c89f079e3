#include "support/kfake.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/ports.h"

namespace kpp::test {
namespace {

std::string temp_path(const std::string& suffix) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/kpp-kfake-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + suffix;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool executable(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string kfake_cluster::binary() {
  if (const char* env = std::getenv("KPP_KFAKE"); env && *env) return executable(env) ? env : "";
  return executable(KPP_KFAKE_DEFAULT) ? KPP_KFAKE_DEFAULT : "";
}

kfake_cluster::kfake_cluster(kfake_options opts) : opts_(std::move(opts)) {
  const auto bin = binary();
  if (bin.empty()) return;
  std::string port_list;
  for (int i = 0; i < opts_.brokers; ++i) {
    // Distinct ports: free_port() could hand out the same one twice before kfake binds.
    std::uint16_t p = 0;
    do {
      p = free_port();
    } while (std::find(ports_.begin(), ports_.end(), p) != ports_.end() ||
             p == opts_.add_node_port);
    ports_.push_back(p);
    port_list += (i ? "," : "") + std::to_string(p);
  }
  out_path_ = temp_path(".out");
  req_log_ = temp_path(".reqlog");
  std::vector<std::string> args = {bin,
                                   "-ports",
                                   port_list,
                                   "-topics",
                                   opts_.topics,
                                   "-partitions",
                                   std::to_string(opts_.partitions),
                                   "-req-log",
                                   req_log_,
                                   "-log-level",
                                   "none"};
  if (!opts_.shuffle.empty()) args.insert(args.end(), {"-shuffle", opts_.shuffle});
  if (opts_.add_node_port != 0) {
    args.insert(args.end(), {"-add-node-port", std::to_string(opts_.add_node_port),
                             "-add-node-after", opts_.add_node_after});
  }
  for (const auto& s : opts_.sasl) args.insert(args.end(), {"-sasl", s});
  args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    // A test binary killed by a timeout must not leave a broker behind.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out);
  if (pid_ < 0) return;
  // "ready" is printed once every broker listens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find("\nready") != std::string::npos) {
      ready_ = true;
      return;
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = st;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling its stdout
  }
}

kfake_cluster::~kfake_cluster() {
  stop(std::chrono::milliseconds(5000));
  if (!out_path_.empty()) ::unlink(out_path_.c_str());
  if (!req_log_.empty() && std::getenv("KPP_KEEP_REQ_LOG") == nullptr) ::unlink(req_log_.c_str());
}

std::string kfake_cluster::address(int node_id) const {
  return "127.0.0.1:" + std::to_string(port(node_id));
}

bool kfake_cluster::is_broker_port(int p) const {
  return std::find(ports_.begin(), ports_.end(), p) != ports_.end() ||
         (opts_.add_node_port != 0 && p == opts_.add_node_port);
}

int kfake_cluster::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (reaped_) return status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int st = 0;
  while (::waitpid(pid_, &st, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling waitpid
  }
  reaped_ = true;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  return status_;
}

std::string kfake_cluster::output() const {
  return out_path_.empty() ? "" : read_file(out_path_);
}

kfake_cluster::version_counts parse_req_log(const std::string& text,
                                            std::map<int, std::string>* names) {
  kfake_cluster::version_counts counts;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // node=N key=K(Name) v=V
    const auto k = line.find(" key=");
    const auto v = line.find(" v=");
    if (k == std::string::npos || v == std::string::npos) continue;
    const int key = std::atoi(line.c_str() + k + 5);
    const int version = std::atoi(line.c_str() + v + 3);
    ++counts[{key, version}];
    if (names) {
      const auto open = line.find('(', k);
      const auto close = line.find(')', k);
      if (open != std::string::npos && close != std::string::npos && open < close)
        (*names)[key] = line.substr(open + 1, close - open - 1);
    }
  }
  return counts;
}

kfake_cluster::version_counts kfake_cluster::request_counts() const {
  return parse_req_log(read_file(req_log_));
}

std::string kfake_cluster::request_summary() const {
  std::map<int, std::string> names;
  const auto counts = parse_req_log(read_file(req_log_), &names);
  std::string s = "kfake request log (api key(name) version x count):\n";
  for (const auto& [kv, n] : counts) {
    s += "  " + std::to_string(kv.first) + "(" + names[kv.first] + ") v" +
         std::to_string(kv.second) + " x" + std::to_string(n) + "\n";
  }
  return s;
}

const char* to_string(proxy_mode m) {
  return m == proxy_mode::yaml_node_id ? "yaml_node_id" : "grepplabs_flags";
}

kfake_proxy start_proxy(const kfake_cluster& cluster, proxy_mode mode, int port_range,
                        const std::string& metadata_refresh) {
  // One run: bootstrap port, then the broker range (node N on base + N).
  const auto first = free_port_run(port_range + 2);
  const auto bootstrap = first;
  const auto admin = static_cast<std::uint16_t>(first + 1);
  const auto base = static_cast<std::uint16_t>(first + 2);
  const auto upstream = cluster.address(0);
  if (mode == proxy_mode::yaml_node_id) {
    const std::string yaml =
        "listen: 127.0.0.1\n"
        "threads: 2\n"
        "bootstrap:\n"
        "  servers: [" +
        upstream +
        "]\n"
        "  listeners:\n"
        "    - listen: 127.0.0.1:" +
        std::to_string(bootstrap) +
        "\n"
        "brokers:\n"
        "  port_policy: node-id\n"
        "  base_port: " +
        std::to_string(base) +
        "\n"
        "  node_id_offset: 0\n"
        "  port_range: " +
        std::to_string(port_range) +
        "\n"
        "  listen_host: 127.0.0.1\n"
        "  advertised_host: 127.0.0.1\n"
        "discovery:\n"
        "  metadata_refresh: " +
        metadata_refresh +
        "\n"
        "timeouts:\n"
        "  drain: 2s\n"
        "admin:\n"
        "  address: 127.0.0.1:" +
        std::to_string(admin) +
        "\n"
        "log:\n"
        "  level: info\n";
    kfake_proxy p{proxy_process::with_yaml(yaml), mode, bootstrap, base, port_range, admin};
    p.process.wait_ready(admin);
    return p;
  }
  // grepplabs drop-in: the seed broker pinned to the bootstrap port, the others on
  // min port + node id (deterministic), advertised under a resolvable name.
  kfake_proxy p{
      proxy_process(
          {"server", "--bootstrap-server-mapping",
           upstream + ",127.0.0.1:" + std::to_string(bootstrap), "--deterministic-listeners",
           "--dynamic-sequential-min-port", std::to_string(base), "--dynamic-sequential-max-ports",
           std::to_string(port_range), "--dynamic-advertised-listener", "127.0.0.1",
           "--http-listen-address", "127.0.0.1:" + std::to_string(admin), "--metadata-refresh",
           metadata_refresh, "--drain-timeout", "2s", "--threads", "2"}),
      mode,
      bootstrap,
      base,
      port_range,
      admin};
  p.process.wait_ready(admin);
  return p;
}

}  // namespace kpp::test
