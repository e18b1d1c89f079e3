#include "kpp/net/upstream_dialer.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>

#include "kpp/net/byte_stream.h"
#include "kpp/net/deadline.h"

namespace kpp::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

class dial_category_impl : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "kpp.dial"; }
  [[nodiscard]] std::string message(int e) const override {
    switch (static_cast<dial_errc>(e)) {
      case dial_errc::resolve_failed:
        return "cannot resolve the broker's host name";
      case dial_errc::resolve_timed_out:
        return "DNS lookup timed out";
      case dial_errc::connect_failed:
        return "cannot connect";
      case dial_errc::connect_timed_out:
        return "connect timed out";
      case dial_errc::login_failed:
        return "SASL login failed";
      case dial_errc::login_timed_out:
        return "SASL login timed out";
    }
    return "unknown dial error";
  }
};

dial_error failure(dial_errc code, const routing::host_port& address, const error_code& cause,
                   std::chrono::milliseconds timeout) {
  dial_error e{make_error_code(code), cause,
               address.str() + ": " + make_error_code(code).message()};
  if (cause)
    e.message += " (" + cause.message() + ")";
  else
    e.message += " after " + std::to_string(timeout.count()) + " ms (timeouts.dial)";
  return e;
}

}  // namespace

const std::error_category& dial_category() noexcept {
  static const dial_category_impl category;
  return category;
}

std::error_code make_error_code(dial_errc e) noexcept {
  return {static_cast<int>(e), dial_category()};
}

asio::awaitable<std::optional<dial_error>> upstream_dialer::connect(
    tcp::socket& s, const routing::host_port& address, std::int64_t* session_lifetime_ms) const {
  if (session_lifetime_ms) *session_lifetime_ms = 0;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto ex = co_await asio::this_coro::executor;

  // Step 1: DNS. getaddrinfo runs on Asio's resolver thread and cannot be interrupted, so at
  // the deadline the lookup is abandoned (its result dropped) rather than waited for.
  auto resolver = std::make_shared<tcp::resolver>(ex);
  auto start_resolve = [&resolver, &address](auto handler) {
    // The handler keeps the resolver alive until the abandoned lookup completes.
    resolver->async_resolve(
        address.host, std::to_string(address.port),
        [keep = resolver, handler = std::move(handler)](
            error_code ec, tcp::resolver::results_type r) mutable { handler(ec, std::move(r)); });
  };
  auto cancel_resolve = [&resolver] { resolver->cancel(); };
  auto resolved = co_await with_deadline<error_code, tcp::resolver::results_type>(
      start_resolve, cancel_resolve, deadline, after_deadline::cancel_and_abandon);
  if (resolved.timed_out)
    co_return failure(dial_errc::resolve_timed_out, address, {}, options_.timeout);
  const auto resolve_ec = std::get<0>(resolved.values);
  const auto& endpoints = std::get<1>(resolved.values);
  if (resolve_ec) co_return failure(dial_errc::resolve_failed, address, resolve_ec, {});

  // Step 2: TCP connect to the first address that accepts. At the deadline the socket is
  // closed and the connect's completion awaited, so nothing touches `s` after we return.
  auto start_connect = [&s, &endpoints](auto handler) {
    asio::async_connect(s, endpoints, std::move(handler));
  };
  auto close_socket = [&s] {
    error_code ignored;
    s.close(ignored);
  };
  auto connected =
      co_await with_deadline<error_code, tcp::endpoint>(start_connect, close_socket, deadline);
  const auto connect_ec = std::get<0>(connected.values);
  if (connected.timed_out || connect_ec) {
    error_code ignored;
    s.close(ignored);
    if (connected.timed_out)
      co_return failure(dial_errc::connect_timed_out, address, {}, options_.timeout);
    co_return failure(dial_errc::connect_failed, address, connect_ec, {});
  }
  // Step 3: SASL login (upstream.sasl), against the same deadline.
  if (options_.login) {
    plain_stream stream(std::move(s));
    auto login = co_await login_upstream(stream, *options_.login, deadline);
    s = std::move(stream.socket());
    if (!login) {
      error_code ignored;
      s.close(ignored);
      const auto code = login.error().kind == login_failure_kind::timed_out
                            ? dial_errc::login_timed_out
                            : dial_errc::login_failed;
      co_return dial_error{make_error_code(code), {},
                           address.str() + ": SASL " + std::string(auth::name(options_.login->mech)) +
                               " login as " + options_.login->username + " failed: " +
                               login.error().message};
    }
    if (session_lifetime_ms) *session_lifetime_ms = login->session_lifetime_ms;
  }
  co_return std::nullopt;
}

}  // namespace kpp::net
