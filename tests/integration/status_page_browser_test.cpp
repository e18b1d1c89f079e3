// The status page (admin `/`) in a real headless browser (Debian's chromium): a screenshot
// into the test artifacts, and the broker table read back through the DOM while a broker
// joins the cluster and a client holds a connection to another.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/kfake.h"
#include "support/ports.h"
#include "support/proxy_process.h"
#include "support/proxy_setup.h"
#include "support/raw_client.h"

namespace kpp::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* chromium = "/usr/bin/chromium";

struct run_result {
  int exit_code = -1;
  std::string output;  // stdout only
};

// Runs a command with stdout to a file, stderr discarded; killed after `timeout`.
run_result run(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  const auto out_path =
      fs::temp_directory_path() / ("kpp-chromium-" + std::to_string(::getpid()) + ".out");
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(out, 1);
    ::dup2(null, 2);
    ::setpgid(0, 0);  // chromium forks helpers: the whole group is ended on timeout
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  run_result r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::ifstream in(out_path);
  std::stringstream s;
  s << in.rdbuf();
  r.output = s.str();
  fs::remove(out_path);
  return r;
}

class browser {
 public:
  browser()
      : profile_(fs::temp_directory_path() /
                 ("kpp-chromium-profile-" + std::to_string(::getpid()))) {}
  ~browser() { fs::remove_all(profile_); }
  browser(const browser&) = delete;
  browser& operator=(const browser&) = delete;

  run_result headless(std::vector<std::string> extra) const {
    std::vector<std::string> args{chromium,
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--user-data-dir=" + profile_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args, 90s);
  }
  [[nodiscard]] std::string dom(const std::string& url) const {
    return headless({"--dump-dom", url}).output;
  }

 private:
  fs::path profile_;
};

bool has(const std::string& dom, const std::string& text) {
  return dom.find(text) != std::string::npos;
}

TEST(StatusPageBrowser, TableFollowsBrokersAndClients) {
  KPP_REQUIRE_TOOL(::access(chromium, X_OK) == 0, "chromium",
                   "apt-get install chromium (scripts/install-deps.sh --test does)");
  KPP_REQUIRE_KFAKE();

  kfake_options opts;
  opts.brokers = 2;  // nodes 0, 1 at start; node 2 joins after a few seconds
  opts.add_node_port = free_port();
  opts.add_node_after = "4s";
  kfake_cluster cluster(opts);
  ASSERT_TRUE(cluster.ok()) << cluster.output();

  auto p = node_id_proxy::for_cluster(cluster.address(0), 2);
  auto proxy = proxy_process::with_yaml(p.yaml());
  ASSERT_TRUE(proxy.wait_ready(p.admin_port)) << proxy.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(p.admin_port) + "/";
  browser b;

  // A client holds a connection to broker 1's listener.
  raw_client client(p.broker_port(1));
  ASSERT_TRUE(client.connected());

  // Poll the page until the joined broker shows and the connection is counted (bounded).
  std::string dom;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    dom = b.dom(url);
    if (has(dom, "id=\"b2-advertised\"") && has(dom, "<td id=\"b1-open\" class=\"n\">1</td>"))
      break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(has(dom, "<title>kafka-psc-proxy status</title>")) << dom;
  EXPECT_TRUE(has(dom, "<p id=\"ready\" class=\"ok\">ready</p>")) << dom;
  for (int id = 0; id <= 2; ++id) {
    const auto port = "127.0.0.1:" + std::to_string(p.broker_port(id));
    const auto b_id = "b" + std::to_string(id);
    EXPECT_TRUE(has(dom, "<td id=\"" + b_id + "-upstream\">" +
                             (id < 2 ? cluster.address(id)
                                     : "127.0.0.1:" + std::to_string(opts.add_node_port)) +
                             "</td>"))
        << b_id << "\n"
        << dom;
    EXPECT_TRUE(has(dom, "<td id=\"" + b_id + "-advertised\">" + port + "</td>")) << dom;
  }
  EXPECT_TRUE(has(dom, "<td id=\"b1-open\" class=\"n\">1</td>")) << dom;
  EXPECT_TRUE(has(dom, "<td id=\"b0-open\" class=\"n\">0</td>")) << dom;

  // The screenshot, for a person to look at (the test artifacts: the build tree).
  const auto artifacts = fs::current_path() / "test-artifacts";
  fs::create_directories(artifacts);
  const auto shot = artifacts / "status_page.png";
  fs::remove(shot);
  b.headless({"--screenshot=" + shot.string(), "--window-size=1200,900", url});
  ASSERT_TRUE(fs::exists(shot)) << "no screenshot at " << shot;
  EXPECT_GT(fs::file_size(shot), 10'000u);
  std::cout << "screenshot: " << shot.string() << "\n";

  // The client leaves: its connection is no longer counted.
  client.close();
  const auto gone = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < gone &&
         !has(dom = b.dom(url), "<td id=\"b1-open\" class=\"n\">0</td>"))
    std::this_thread::sleep_for(250ms);
  EXPECT_TRUE(has(dom, "<td id=\"b1-open\" class=\"n\">0</td>")) << dom;
  EXPECT_TRUE(has(dom, "<td id=\"b1-total\" class=\"n\">1</td>")) << dom;
  EXPECT_EQ(proxy.stop(), 0) << proxy.output();
}

}  // namespace
}  // namespace kpp::test
