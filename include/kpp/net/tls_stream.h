// The TLS implementation of byte_stream: Boost.Asio's ssl::stream over the TCP socket.
// OpenSSL and Asio keep undecrypted bytes in buffers of their own, so a readiness wait on the
// socket could sleep while a record is already buffered. Instead wait_readable reads one
// record's worth of plaintext into a small buffer of the stream's own, and try_read_some
// hands out what that buffer holds (would_block when empty), which is what the frame pump's
// read-first loop expects. The context stays alive for as long as the stream (a certificate
// rotation swaps the store's context, not this one).
#pragma once

#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "kpp/net/byte_stream.h"
#include "kpp/net/tls_context.h"

namespace kpp::net {

class tls_stream final : public byte_stream {
 public:
  using handshake_type = ssl::stream_base::handshake_type;

  tls_stream(tcp::socket s, context_ptr ctx);

  // The handshake, bounded by `deadline` (the socket is closed when it passes: the error is
  // then timed_out). On failure, classify it with classify_handshake_error(ec, native_handle()).
  boost::asio::awaitable<void> handshake(handshake_type type, std::chrono::milliseconds deadline,
                                         error_code& ec);

  [[nodiscard]] SSL* native_handle() noexcept { return impl_->stream.native_handle(); }

  std::size_t try_read_some(boost::asio::mutable_buffer buf, error_code& ec) override;
  boost::asio::awaitable<void> wait_readable(error_code& ec) override;
  // A peer that closes TCP without close_notify (most Kafka clients do) reads as eof.
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buf,
                                                error_code& ec) override;
  boost::asio::awaitable<void> write(std::span<const boost::asio::const_buffer> bufs,
                                     error_code& ec) override;
  // Half-close at the TCP level. No close_notify: sending one needs a write through the
  // engine, which may race the pump's own writes; peers treat the FIN as the end.
  void shutdown_send(error_code& ec) override;
  void close() noexcept override;
  tcp::socket& socket() noexcept override { return impl_->stream.next_layer(); }

 private:
  // Shared with the handshake deadline's timer handler, which may run after the stream is
  // gone: it holds a weak_ptr and does nothing then.
  struct impl {
    impl(tcp::socket s, context_ptr c) : ctx(std::move(c)), stream(std::move(s), *ctx) {}
    context_ptr ctx;  // outlives `stream`
    ssl::stream<tcp::socket> stream;
  };
  std::shared_ptr<impl> impl_;
  // Plaintext read by wait_readable and not handed out yet, and the error that ended it.
  std::vector<char> pending_;
  std::size_t pending_begin_ = 0;
  std::size_t pending_end_ = 0;
  error_code pending_ec_;
};

}  // namespace kpp::net
