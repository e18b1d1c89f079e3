#include "kpp/net/io_pool.h"

namespace kpp::net {

io_pool::io_pool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

io_pool::~io_pool() {
  stop();
  join();
}

boost::asio::io_context& io_pool::next() {
  // Called from the main context's thread only (accept loops), so no atomic is needed.
  auto& ctx = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return ctx;
}

void io_pool::start() {
  for (std::size_t i = 1; i < contexts_.size(); ++i)
    threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
}

void io_pool::run_main() {
  contexts_.front()->run();
}

void io_pool::stop() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
}

void io_pool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace kpp::net
