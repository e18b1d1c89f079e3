#include "kpp/net/tls_stream.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;

tls_stream::tls_stream(tcp::socket s, context_ptr ctx)
    : impl_(std::make_shared<impl>(std::move(s), std::move(ctx))) {}

awaitable<void> tls_stream::handshake(handshake_type type, std::chrono::milliseconds deadline,
                                      error_code& ec) {
  auto timer = std::make_shared<asio::steady_timer>(socket().get_executor(), deadline);
  auto expired = std::make_shared<bool>(false);
  timer->async_wait([weak = std::weak_ptr<impl>(impl_), expired](const error_code& e) {
    if (e) return;  // cancelled: the handshake finished first
    if (auto alive = weak.lock()) {
      *expired = true;
      error_code ignored;
      alive->stream.next_layer().close(ignored);
    }
  });
  co_await impl_->stream.async_handshake(type, redirect_error(use_awaitable, ec));
  timer->cancel();
  if (ec && *expired) ec = asio::error::timed_out;
}

namespace {

// One TLS record's plaintext at most: a wait reads no more than one record's worth.
constexpr std::size_t pending_capacity = 16 * 1024;

void truncation_is_eof(boost::system::error_code& ec) {
  // Most Kafka clients close TCP without a close_notify: that is the end, not an attack.
  if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
}

}  // namespace

std::size_t tls_stream::try_read_some(asio::mutable_buffer buf, error_code& ec) {
  if (pending_begin_ < pending_end_) {
    const auto n = std::min(buf.size(), pending_end_ - pending_begin_);
    std::memcpy(buf.data(), pending_.data() + pending_begin_, n);
    pending_begin_ += n;
    ec.clear();
    return n;
  }
  ec = pending_ec_ ? pending_ec_ : error_code(asio::error::would_block);
  return 0;
}

awaitable<void> tls_stream::wait_readable(error_code& ec) {
  ec.clear();
  if (pending_begin_ < pending_end_ || pending_ec_) co_return;
  if (pending_.empty()) pending_.resize(pending_capacity);
  error_code read_ec;
  const auto n = co_await impl_->stream.async_read_some(asio::buffer(pending_),
                                                        redirect_error(use_awaitable, read_ec));
  pending_begin_ = 0;
  pending_end_ = n;
  truncation_is_eof(read_ec);
  // Like a socket's readiness: the end or an error shows on the next read.
  if (read_ec) pending_ec_ = read_ec;
}

awaitable<std::size_t> tls_stream::read_some(asio::mutable_buffer buf, error_code& ec) {
  if (pending_begin_ < pending_end_ || pending_ec_) co_return try_read_some(buf, ec);
  const auto n = co_await impl_->stream.async_read_some(buf, redirect_error(use_awaitable, ec));
  truncation_is_eof(ec);
  co_return n;
}

awaitable<void> tls_stream::write(std::span<const asio::const_buffer> bufs, error_code& ec) {
  co_await asio::async_write(impl_->stream, bufs, redirect_error(use_awaitable, ec));
}

void tls_stream::shutdown_send(error_code& ec) {
  socket().shutdown(tcp::socket::shutdown_send, ec);
}

void tls_stream::close() noexcept {
  error_code ignored;
  socket().close(ignored);
}

}  // namespace kpp::net
