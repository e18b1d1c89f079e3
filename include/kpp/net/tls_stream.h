// The TLS implementation of byte_stream: an OpenSSL SSL object reading and writing the TCP
// socket directly (through a small BIO doing non-blocking recv/send), driven by Asio's
// readiness waits. Compared with Asio's ssl::stream this keeps no buffers of its own: with
// SSL_MODE_RELEASE_BUFFERS an idle connection holds no record buffer at all (Asio's stream
// holds four of 17 KiB each for its life), and try_read_some is a real non-blocking read, as
// on plain TCP, so the frame pump's read-first loop works unchanged.
// Everything runs on the socket's executor (one thread): OpenSSL never sees two calls at once.
// The context stays alive for as long as the stream (a certificate rotation swaps the store's
// context, not this one).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/stream_base.hpp>
#include <chrono>
#include <memory>

#include "kpp/net/byte_stream.h"
#include "kpp/net/tls_context.h"

namespace kpp::net {

class tls_stream final : public byte_stream {
 public:
  using handshake_type = ssl::stream_base::handshake_type;

  tls_stream(tcp::socket s, context_ptr ctx);
  ~tls_stream() override;

  // The handshake, bounded by `deadline` (the socket is closed when it passes: the error is
  // then timed_out). On failure, classify it with classify_handshake_error(ec, native_handle()).
  boost::asio::awaitable<void> handshake(handshake_type type, std::chrono::milliseconds deadline,
                                         error_code& ec);

  [[nodiscard]] SSL* native_handle() noexcept;
  // Not one byte came from the peer yet (a handshake that timed out so was never answered).
  [[nodiscard]] bool received_nothing() const noexcept;

  std::size_t try_read_some(boost::asio::mutable_buffer buf, error_code& ec) override;
  boost::asio::awaitable<void> wait_readable(error_code& ec) override;
  // A peer that closes TCP without close_notify (most Kafka clients do) reads as eof.
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buf,
                                                error_code& ec) override;
  boost::asio::awaitable<void> write(std::span<const boost::asio::const_buffer> bufs,
                                     error_code& ec) override;
  // Half-close: a close_notify (unless a write is in progress, which it would cut in two),
  // then the TCP FIN. Reading goes on.
  void shutdown_send(error_code& ec) override;
  // A close_notify on the same terms, then the socket is closed: the peer sees a clean end,
  // not a cut connection (which TLS peers must treat as a possible truncation).
  void close() noexcept override;
  tcp::socket& socket() noexcept override;

  struct impl;

 private:
  // Shared with the handshake deadline's timer handler, which may run after the stream is
  // gone: it holds a weak_ptr and does nothing then.
  std::shared_ptr<impl> impl_;
};

}  // namespace kpp::net
