// `check`, step 3: every port the proxy would listen on is free here, or held by a running
// proxy (found through the admin address of the same config, whose /ready it asks).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <map>

#include "kpp/app/check_steps.h"
#include "kpp/app/settings_mapping.h"

namespace kpp::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

struct port_use {
  routing::host_port listen;
  std::string what;     // "bootstrap listener", "broker 3", "admin endpoint"
  std::string setting;  // what moves it
};

struct ready_answer {
  bool answered = false;
  int status = 0;
  std::string body;
};

// An address to reach a local listener bound to `host` (a wildcard means loopback).
std::string reach(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::" || host == "[::]") return "::1";
  return host;
}

asio::awaitable<ready_answer> ask_ready(const config::config& cfg,
                                        std::chrono::milliseconds timeout) {
  ready_answer out;
  if (!cfg.admin.enabled) co_return out;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  error_code ec;
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  auto endpoints = co_await resolver.async_resolve(reach(cfg.admin.address.host),
                                                   std::to_string(cfg.admin.address.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  stream.expires_after(timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  http::request<http::string_body> req{http::verb::get, cfg.admin.ready_path, 11};
  req.set(http::field::host, reach(cfg.admin.address.host));
  req.set(http::field::user_agent, "kafka-psc-proxy-check");
  stream.expires_after(timeout);
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return out;
  out.answered = true;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = parser.get().body();
  while (!out.body.empty() && (out.body.back() == '\n' || out.body.back() == '\r'))
    out.body.pop_back();
  co_return out;
}

// Binds and releases: the same bind the listener would do (SO_REUSEADDR, as listeners set).
error_code try_bind(const asio::any_io_executor& ex, const routing::host_port& listen) {
  error_code ec;
  auto address = asio::ip::make_address(listen.host.empty() ? "0.0.0.0" : listen.host, ec);
  if (ec) return ec;
  asio::ip::tcp::acceptor acceptor(ex);
  const asio::ip::tcp::endpoint ep(address, listen.port);
  acceptor.open(ep.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  error_code ignored;
  acceptor.close(ignored);
  return ec;
}

}  // namespace

asio::awaitable<void> check_ports(check_context& c, const planned_map& map) {
  check_section s;
  s.key = "ports";
  s.title = "Listen ports on this host";
  s.columns = {"port", "use", "result"};

  std::map<std::uint16_t, port_use> uses;  // by port: a mapping is bootstrap and broker
  for (const auto& b : bootstrap_ports(c.cfg))
    uses.try_emplace(b.listen.port, port_use{b.listen, "bootstrap listener",
                                             "bootstrap.listeners (--bootstrap-server-mapping)"});
  for (const auto& r : map.routes) {
    if (!r.local_listener || r.configured_listener) continue;
    uses.try_emplace(r.listen.port,
                     port_use{r.listen, "broker " + std::to_string(r.node_id),
                              "brokers.base_port / brokers.node_id_offset / brokers.static"});
  }
  if (c.cfg.admin.enabled)
    uses.try_emplace(c.cfg.admin.address.port, port_use{c.cfg.admin.address, "admin endpoint",
                                                        "admin.address (--http-listen-address)"});

  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  std::optional<ready_answer> proxy;  // asked once, when the first port is taken
  for (const auto& [port, use] : uses) {
    if (port == 0) continue;  // an ephemeral port: the OS picks a free one
    const auto ec = try_bind(ex, use.listen);
    if (!ec) {
      s.rows.push_back({std::int64_t{port}, use.what, "free"});
      continue;
    }
    if (ec != asio::error::address_in_use) {
      s.rows.push_back({std::int64_t{port}, use.what, "cannot bind: " + ec.message()});
      c.report.find("ports",
                    "cannot listen on " + use.listen.str() + " (" + use.what + "): " + ec.message(),
                    "use an address this host has (listen, brokers.listen_host), or a port the "
                    "service may bind (below 1024 needs CAP_NET_BIND_SERVICE); setting: " +
                        use.setting);
      continue;
    }
    if (!proxy) proxy = co_await ask_ready(c.cfg, c.probe.timeout);
    if (proxy->answered && proxy->status == 200) {
      s.rows.push_back({std::int64_t{port}, use.what, "in use by the running proxy (ready)"});
    } else if (proxy->answered) {
      s.rows.push_back({std::int64_t{port}, use.what, "in use by the running proxy (not ready)"});
      c.report.find("ports",
                    "port " + std::to_string(port) + " (" + use.what +
                        ") is held by the proxy running here, which is not ready: " + proxy->body,
                    "see that proxy's status page (http://" + reach(c.cfg.admin.address.host) +
                        ":" + std::to_string(c.cfg.admin.address.port) + "/) and its log");
    } else {
      s.rows.push_back({std::int64_t{port}, use.what, "in use by another process"});
      c.report.find("ports",
                    "port " + std::to_string(port) + " (" + use.what +
                        ") is in use by another process, and no proxy answers on the admin "
                        "address " +
                        c.cfg.admin.address.str(),
                    "stop that process (ss -ltnp 'sport = :" + std::to_string(port) +
                        "' names it) or move the port: " + use.setting);
    }
  }
  c.report.sections.push_back(std::move(s));
}

}  // namespace kpp::app
