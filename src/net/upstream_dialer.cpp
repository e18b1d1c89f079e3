#include "kpp/net/upstream_dialer.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>

#include "kpp/admin/tls_metrics.h"
#include "kpp/net/byte_stream.h"
#include "kpp/net/deadline.h"
#include "kpp/net/tls_errors.h"
#include "kpp/net/tls_stream.h"

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
      case dial_errc::tls_handshake_failed:
        return "TLS handshake failed";
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
  dial_error e{make_error_code(code), cause, address.str() + ": " + make_error_code(code).message(),
               std::nullopt};
  if (cause)
    e.message += " (" + cause.message() + ")";
  else
    e.message += " after " + std::to_string(timeout.count()) + " ms (timeouts.dial)";
  return e;
}

// Step 4: the SASL login (upstream.sasl), over the plain or TLS leg, in what is left of the
// deadline. On a failure the stream is closed.
asio::awaitable<std::optional<dial_error>> log_in(
    byte_stream& stream, const std::shared_ptr<const upstream_login_settings>& login,
    const routing::host_port& address, std::chrono::steady_clock::time_point deadline,
    std::int64_t* session_lifetime_ms) {
  if (!login) co_return std::nullopt;
  auto done = co_await login_upstream(stream, *login, deadline);
  if (done) {
    if (session_lifetime_ms) *session_lifetime_ms = done->session_lifetime_ms;
    co_return std::nullopt;
  }
  stream.close();
  const auto code = done.error().kind == login_failure_kind::timed_out ? dial_errc::login_timed_out
                                                                       : dial_errc::login_failed;
  co_return dial_error{make_error_code(code),
                       {},
                       address.str() + ": SASL " + std::string(auth::name(login->mech)) +
                           " login as " + login->username + " failed: " + done.error().message,
                       std::nullopt};
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
    std::unique_ptr<byte_stream>& stream, const routing::host_port& address,
    std::string_view server_host, std::int64_t* session_lifetime_ms) const {
  if (session_lifetime_ms) *session_lifetime_ms = 0;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto ex = co_await asio::this_coro::executor;
  if (stream) stream->close();
  stream = std::make_unique<plain_stream>(tcp::socket(ex));

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
  // closed and the connect's completion awaited, so nothing touches it after we return.
  tcp::socket& s = stream->socket();
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
    stream->close();
    if (connected.timed_out)
      co_return failure(dial_errc::connect_timed_out, address, {}, options_.timeout);
    co_return failure(dial_errc::connect_failed, address, connect_ec, {});
  }
  // byte_stream reads try first and wait after: the socket must never block the thread.
  error_code nb;
  s.non_blocking(true, nb);
  if (!options_.tls)
    co_return co_await log_in(*stream, options_.login, address, deadline, session_lifetime_ms);

  // Step 3: the TLS handshake, in what is left of the deadline. The stream is swapped before
  // the handshake so that the caller's close() aborts it.
  const auto& tls = *options_.tls;
  auto owned = std::make_unique<tls_stream>(std::move(s), tls.store->current());
  auto* t = owned.get();
  stream = std::move(owned);
  const std::string host(server_host.empty() ? std::string_view(address.host) : server_host);
  if (!prepare_client_ssl(t->native_handle(), tls.settings, host)) {
    stream->close();
    dial_error e{make_error_code(dial_errc::tls_handshake_failed),
                 {},
                 address.str() + ": TLS: \"" +
                     (tls.settings.server_name.empty() ? host : tls.settings.server_name) +
                     "\" is not a name OpenSSL can verify; set upstream.tls.server_name",
                 tls_handshake_cause::other};
    co_return e;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  error_code ec = asio::error::timed_out;
  if (left.count() > 0) {
    ec.clear();
    co_await t->handshake(ssl::stream_base::client, left, ec);
  }
  if (!ec)
    co_return co_await log_in(*stream, options_.login, address, deadline, session_lifetime_ms);
  stream->close();
  if (ec == asio::error::operation_aborted)  // the caller closed the stream: no failure to count
    co_return dial_error{make_error_code(dial_errc::tls_handshake_failed), ec,
                         address.str() + ": TLS handshake aborted (the connection was closed)",
                         std::nullopt};
  const std::string peer = address.str() + " (upstream.tls)";
  auto f = classify_handshake_error(ec, t->native_handle(), tls_leg::upstream, peer);
  // A PLAINTEXT Kafka listener reads the ClientHello as the start of a huge request and waits
  // for the rest (Apache Kafka closes instead, which classify_handshake_error names).
  if (f.cause == tls_handshake_cause::timeout && t->received_nothing())
    f = {tls_handshake_cause::plaintext_upstream,
         "TLS handshake with broker " + peer +
             " failed: not one byte in answer to the TLS ClientHello: it is probably a "
             "PLAINTEXT listener; disable upstream.tls or point bootstrap.servers at the "
             "broker's SSL listener"};
  admin::global_tls_metrics().count_handshake_failure(tls_leg::upstream, f.cause);
  dial_error e{make_error_code(dial_errc::tls_handshake_failed), ec,
               std::move(f.message) + " [" + std::string(to_string(f.cause)) + "]", f.cause};
  if (f.cause == tls_handshake_cause::timeout)
    e.message += " (timeouts.dial: " + std::to_string(options_.timeout.count()) + " ms)";
  co_return e;
}

}  // namespace kpp::net
