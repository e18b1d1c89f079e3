#include "kpp/admin/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

// GCC 12 pairs Asio 1.74's awaitable-frame operator new/delete wrongly and warns
// (-Wmismatched-new-delete) at the end of every coroutine; the pair is correct (GCC bug
// 109224), so the warning is silenced for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace kpp::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Boost 1.74 converts to std::error_code through a wrapper category; map the two common
// categories to the std ones so callers can compare with std::errc directly.
std::error_code to_std(const error_code& ec) {
  if (ec.category() == boost::system::system_category())
    return {ec.value(), std::system_category()};
  if (ec.category() == boost::system::generic_category())
    return {ec.value(), std::generic_category()};
  return ec;
}

bool is_http_parse_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// A one-shot answer to a request the parser refused; the connection closes after it.
http_response error_response(const error_code& ec) {
  http::status status = http::status::bad_request;
  if (ec == http::error::body_limit) status = http::status::payload_too_large;
  if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;
  http_response res{status, 11};
  res.set(http::field::server, "kafka-psc-proxy");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.keep_alive(false);
  res.body() = std::string(http::obsolete_reason(status)) + "\n";
  res.prepare_payload();
  return res;
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& ioc, http_server_options opts, std::function<admin_state()> state_fn,
       log_callback log_fn)
      : options(std::move(opts)),
        strand(asio::make_strand(ioc)),
        acceptor(strand),
        retry_timer(strand),
        state(std::move(state_fn)),
        log(std::move(log_fn)) {}

  http_server_options options;
  asio::strand<asio::io_context::executor_type> strand;
  // Strand-confined from start() on.
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  bool stopped = false;
  std::uint64_t next_session_id = 0;
  struct session_entry {
    beast::tcp_stream* stream = nullptr;  // lives in the session's frame
    // When the session began waiting for a request; unset while it handles one.
    std::optional<std::chrono::steady_clock::time_point> waiting_since;
  };
  std::map<std::uint64_t, session_entry> sessions;
  std::atomic<std::size_t> session_count{0};
  tcp::endpoint endpoint;

  // Held while a callback runs, so ~http_server can wait out a running call and then
  // disarm both: no callback runs after the owner is gone.
  std::mutex callbacks_mu;
  std::function<admin_state()> state;
  log_callback log;

  void emit(log_level level, std::string_view msg) {
    std::lock_guard lock(callbacks_mu);
    if (log) log(level, msg);
  }

  std::optional<admin_state> snapshot() {
    std::lock_guard lock(callbacks_mu);
    if (!state) return std::nullopt;
    return state();
  }

  void disarm() {
    std::lock_guard lock(callbacks_mu);
    state = nullptr;
    log = nullptr;
  }

  void do_stop() {
    if (stopped) return;
    stopped = true;
    error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    for (auto& [id, entry] : sessions) entry.stream->close();
  }

  // Removes a session from `sessions` however its coroutine ends (exceptions included).
  struct session_registration {
    impl& owner;
    std::uint64_t id;
    ~session_registration() {
      owner.sessions.erase(id);
      owner.session_count.store(owner.sessions.size(), std::memory_order_relaxed);
    }
    void waiting(bool yes) {
      if (auto it = owner.sessions.find(id); it != owner.sessions.end())
        it->second.waiting_since =
            yes ? std::optional(std::chrono::steady_clock::now()) : std::nullopt;
    }
  };

  // Closes the session that has waited longest for a request; false if every session is
  // busy. The evicted session leaves the table now; its frame unwinds on its own.
  bool evict_longest_waiting() {
    auto victim = sessions.end();
    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
      if (!it->second.waiting_since) continue;
      if (victim == sessions.end() || *it->second.waiting_since < *victim->second.waiting_since)
        victim = it;
    }
    if (victim == sessions.end()) return false;
    victim->second.stream->close();
    sessions.erase(victim);
    session_count.store(sessions.size(), std::memory_order_relaxed);
    return true;
  }

  asio::awaitable<void> run_session(std::shared_ptr<impl> self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    std::uint64_t id = next_session_id++;
    sessions.emplace(id, session_entry{&stream, std::nullopt});
    session_count.store(sessions.size(), std::memory_order_relaxed);
    session_registration registration{*this, id};

    beast::flat_buffer buffer;
    error_code ec;
    bool first = true;
    while (!stopped) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      parser.body_limit(options.body_limit);
      // One deadline for the whole request, not per read: a client trickling one byte at a
      // time cannot hold the session open past it.
      stream.expires_after(first ? options.io_timeout
                                 : std::min(options.io_timeout, options.keep_alive_idle));
      first = false;
      registration.waiting(true);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      registration.waiting(false);
      if (stopped || ec == http::error::end_of_stream) break;
      if (ec) {
        if (is_http_parse_error(ec)) {
          http_response res = error_response(ec);
          stream.expires_after(options.io_timeout);
          co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        } else if (ec != beast::error::timeout && ec != asio::error::operation_aborted) {
          emit(log_level::debug, "admin: read failed: " + ec.message());
        }
        break;
      }

      std::optional<admin_state> snap = snapshot();
      if (!snap || stopped) break;
      http_response res = route(parser.get(), *snap);
      bool keep_alive = res.keep_alive();
      stream.expires_after(options.io_timeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        emit(log_level::debug, "admin: write failed: " + ec.message());
        break;
      }
      if (!keep_alive) break;
    }
    // Half-close so the client reads EOF after the last response instead of a reset.
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    (void)self;  // keeps the server state alive for as long as this session runs
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped) co_return;
      if (ec) {
        // EMFILE and friends: retrying at once would spin; back off and keep serving.
        emit(log_level::warn, "admin: accept failed: " + ec.message() + "; retrying");
        retry_timer.expires_after(options.accept_retry_delay);
        co_await retry_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopped) co_return;
        continue;
      }
      if (sessions.size() >= options.max_sessions && !evict_longest_waiting()) {
        emit(log_level::warn, "admin: too many busy sessions; closing a new connection");
        socket.close(ec);
        continue;
      }
      asio::co_spawn(strand, run_session(self, std::move(socket)), [self](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          self->emit(log_level::error, std::string("admin: session failed: ") + ex.what());
        }
      });
    }
  }
};

http_server::http_server(asio::io_context& ioc, http_server_options options,
                         std::function<admin_state()> state, log_callback log)
    : impl_(std::make_shared<impl>(ioc, std::move(options), std::move(state), std::move(log))) {}

http_server::~http_server() {
  stop();
  impl_->disarm();
}

std::error_code http_server::start() {
  impl& s = *impl_;
  if (s.acceptor.is_open()) return to_std(asio::error::already_open);
  error_code ec;
  asio::ip::address address = asio::ip::make_address(s.options.address, ec);
  if (ec) return to_std(ec);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) s.endpoint = s.acceptor.local_endpoint(ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    return to_std(ec);
  }
  auto self = impl_;
  asio::co_spawn(s.strand, s.accept_loop(self), [self](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      self->emit(log_level::error, std::string("admin: accept loop failed: ") + ex.what());
    }
  });
  return {};
}

tcp::endpoint http_server::local_endpoint() const {
  return impl_->endpoint;
}

void http_server::stop() {
  asio::dispatch(impl_->strand, [self = impl_] { self->do_stop(); });
}

std::size_t http_server::open_sessions() const noexcept {
  return impl_->session_count.load(std::memory_order_relaxed);
}

}  // namespace kpp::admin
