#include "kpp/net/listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "kpp/net/session.h"
#include "kpp/net/socket_options.h"

namespace kpp::net {

namespace asio = boost::asio;
using boost::system::error_code;

listener::listener(proxy_context& ctx, upstream_target target,
                   std::shared_ptr<admin::listener_metrics> metrics)
    : ctx_(ctx),
      target_(std::move(target)),
      metrics_(std::move(metrics)),
      acceptor_(ctx.pool->main()) {}

std::error_code listener::open(const routing::host_port& address) {
  error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return std::make_error_code(std::errc::invalid_argument);
  asio::ip::tcp::endpoint ep(ip, address.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return std::error_code(ec.value(), std::system_category());
  }
  port_ = acceptor_.local_endpoint().port();
  // Accepting starts on the main context; this may be called from a session's thread.
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_next(); });
  return {};
}

void listener::close() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    self->closed_ = true;
    error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void listener::accept_next() {
  if (closed_) return;
  auto& worker = ctx_.pool->next();
  acceptor_.async_accept(worker, [self = shared_from_this()](error_code ec,
                                                             asio::ip::tcp::socket socket) {
    if (self->closed_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE and friends: log, back off, keep accepting.
      spdlog::warn("accept on port {} failed: {}; retrying in 100 ms", self->port_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(self->acceptor_.get_executor(),
                                                        std::chrono::milliseconds(100));
      timer->async_wait([self, timer](error_code) { self->accept_next(); });
      return;
    }
    if (self->ctx_.draining.load()) {
      error_code ignored;
      socket.close(ignored);
    } else if (self->ctx_.sessions.size() >= self->ctx_.max_connections.load() &&
               !self->ctx_.silent.evict_oldest()) {
      self->ctx_.metrics->count_session_closed(close_reason::connection_limit);
      spdlog::warn(
          "port {}: refusing a connection, {} connections open and all of them have spoken "
          "(limits.max_connections)",
          self->port_, self->ctx_.sessions.size());
      error_code ignored;
      socket.close(ignored);
    } else {
      set_stream_options(socket, self->ctx_.settings.keepalive);
      auto s =
          std::make_shared<session>(self->ctx_, std::move(socket), self->target_, self->metrics_);
      session::start(std::move(s));
    }
    self->accept_next();
  });
}

std::error_code listener_set::bind(const routing::broker_route& route) {
  upstream_target target{upstream_target::kind::broker, route.node_id, {}, std::nullopt};
  auto metrics =
      ctx_.metrics->listener({admin::listener_kind::broker, route.listen.port, route.node_id});
  auto l = std::make_shared<listener>(ctx_, std::move(target), std::move(metrics));
  if (auto ec = l->open(route.listen)) return ec;
  std::lock_guard lock(mutex_);
  listeners_[route.listen.port] = std::move(l);
  return {};
}

void listener_set::unbind(const routing::broker_route& route) {
  std::lock_guard lock(mutex_);
  if (auto it = listeners_.find(route.listen.port); it != listeners_.end()) {
    it->second->close();
    listeners_.erase(it);
  }
}

std::error_code listener_set::open_bootstrap(const routing::host_port& address,
                                             upstream_target target) {
  auto metrics = ctx_.metrics->listener({admin::listener_kind::bootstrap, address.port, {}});
  auto l = std::make_shared<listener>(ctx_, std::move(target), std::move(metrics));
  if (auto ec = l->open(address)) return ec;
  std::lock_guard lock(mutex_);
  listeners_[l->port()] = std::move(l);
  return {};
}

void listener_set::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& [port, l] : listeners_) l->close();
}

std::size_t listener_set::size() const {
  std::lock_guard lock(mutex_);
  return listeners_.size();
}

}  // namespace kpp::net
