// Re-reads TLS files for a set of context stores: every `interval` (0: never on a timer) and
// whenever trigger() is called (SIGHUP). Each store logs and counts its own outcome.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "kpp/net/tls_context_store.h"

namespace kpp::net {

class tls_refresher : public std::enable_shared_from_this<tls_refresher> {
 public:
  tls_refresher(boost::asio::any_io_executor ex,
                std::vector<std::shared_ptr<tls_context_store>> stores,
                std::chrono::milliseconds interval);

  void start();
  // Thread-safe: reloads every store soon, on the refresher's executor.
  void trigger();
  // Thread-safe: ends the loop.
  void stop();

  // Reloads every store now (on the caller's thread); what trigger() runs.
  void reload_all();

 private:
  boost::asio::awaitable<void> run();

  boost::asio::any_io_executor ex_;
  std::vector<std::shared_ptr<tls_context_store>> stores_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;  // touched on ex_ only
};

}  // namespace kpp::net
