// One io_context per worker thread. A session lives on one of them for its whole life, so
// its two pumps never race and need no locks.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace kpp::net {

class io_pool {
 public:
  explicit io_pool(std::size_t threads);
  ~io_pool();

  boost::asio::io_context& main() { return *contexts_.front(); }  // listeners, timers
  boost::asio::io_context& next();                                // round robin for sessions
  void start();     // runs every context but main() on its own thread
  void run_main();  // runs main() on the calling thread until stop()
  void stop();
  void join();

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
  std::size_t next_ = 0;
};

}  // namespace kpp::net
