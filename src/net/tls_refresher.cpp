#include "kpp/net/tls_refresher.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kpp::net {

namespace asio = boost::asio;

tls_refresher::tls_refresher(asio::any_io_executor ex,
                             std::vector<std::shared_ptr<tls_context_store>> stores,
                             std::chrono::milliseconds interval)
    : ex_(ex), stores_(std::move(stores)), interval_(interval), timer_(ex) {}

void tls_refresher::start() {
  if (interval_.count() <= 0) return;  // SIGHUP only
  asio::co_spawn(
      ex_, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void tls_refresher::trigger() {
  asio::post(ex_, [self = shared_from_this()] {
    if (!self->stopped_) self->reload_all();
  });
}

void tls_refresher::stop() {
  asio::post(ex_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void tls_refresher::reload_all() {
  for (const auto& s : stores_) (void)s->reload();  // each store logs and counts its outcome
}

asio::awaitable<void> tls_refresher::run() {
  auto self = shared_from_this();  // alive while the loop runs
  while (!stopped_) {
    timer_.expires_after(interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    reload_all();
  }
}

}  // namespace kpp::net
