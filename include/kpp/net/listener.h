// A listening port: accepts, applies socket options, and starts a session per connection on
// the next worker context. listener_set owns them all and binds broker listeners for the
// broker map (routing::listener_binder).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

#include "kpp/admin/metrics.h"
#include "kpp/net/proxy_context.h"
#include "kpp/net/upstream_target.h"
#include "kpp/routing/broker_map.h"

namespace kpp::net {

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(proxy_context& ctx, upstream_target target,
           std::shared_ptr<admin::listener_metrics> metrics);
  // Binds and listens synchronously (so the port exists when this returns), then accepts on
  // the main context.
  std::error_code open(const routing::host_port& address);
  void close();
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void accept_next();

  proxy_context& ctx_;
  upstream_target target_;
  std::shared_ptr<admin::listener_metrics> metrics_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  bool closed_ = false;
};

class listener_set : public routing::listener_binder {
 public:
  explicit listener_set(proxy_context& ctx) : ctx_(ctx) {}

  std::error_code bind(const routing::broker_route& route) override;
  void unbind(const routing::broker_route& route) override;
  // Bootstrap and fixed listeners from the configuration.
  std::error_code open_bootstrap(const routing::host_port& address, upstream_target target);
  // Stops accepting everywhere (drain).
  void close_all();
  [[nodiscard]] std::size_t size() const;

 private:
  proxy_context& ctx_;
  mutable std::mutex mutex_;
  std::map<std::uint16_t, std::shared_ptr<listener>> listeners_;
};

}  // namespace kpp::net
