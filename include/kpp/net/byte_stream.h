// The one byte-stream type the session's pumps read and write: plain TCP today, TLS next.
// Each leg of a session picks its implementation when it is accepted or connected; the pumps
// only see this interface. The contract that keeps plain TCP as fast as a bare socket:
//   - try_read_some never waits: on plain TCP it is one non-blocking recv, so under load a
//     pump reads without a trip through the reactor and without a coroutine frame;
//   - wait_readable waits with no buffer involved, so an idle connection can hand its stream
//     buffer back before it waits;
//   - read_some waits as long as needed for at least one byte.
// Errors come back in an error_code; nothing here throws for an I/O failure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <span>

namespace kpp::net {

class byte_stream {
 public:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  virtual ~byte_stream() = default;
  byte_stream() = default;
  byte_stream(const byte_stream&) = delete;
  byte_stream& operator=(const byte_stream&) = delete;

  // Reads what can be read without waiting. Sets would_block (or try_again) when nothing can;
  // an implementation that cannot read without waiting may always do so, as long as
  // wait_readable followed by read_some then makes progress. Returns 0 with eof at the end.
  virtual std::size_t try_read_some(boost::asio::mutable_buffer buf, error_code& ec) = 0;
  // Completes when a read may make progress (or with an error: closed, cancelled).
  virtual boost::asio::awaitable<void> wait_readable(error_code& ec) = 0;
  // Reads at least one byte, waiting as long as needed.
  virtual boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buf,
                                                        error_code& ec) = 0;
  // Writes every byte of the gather list, or fails.
  virtual boost::asio::awaitable<void> write(std::span<const boost::asio::const_buffer> bufs,
                                             error_code& ec) = 0;
  // Half-close: no more bytes will be written; reading goes on.
  virtual void shutdown_send(error_code& ec) = 0;
  // Closes the connection; pending operations complete with operation_aborted.
  virtual void close() noexcept = 0;

  // The TCP socket underneath, for socket options, peer address and the pre-protocol peek.
  virtual tcp::socket& socket() noexcept = 0;
  // Plain TCP only (else null): the socket the pumps then read, wait on and write directly,
  // with no virtual call and no coroutine frame per wait or write. An idle plain connection
  // thus holds no frame for its waits (the frame_pump's fill), and a pump may move bodies with
  // splice(2) (frame_pump_splice.cpp).
  [[nodiscard]] tcp::socket* plain_socket() const noexcept { return plain_; }

  // Fills all of `buf` through read_some.
  boost::asio::awaitable<std::size_t> read_exactly(boost::asio::mutable_buffer buf, error_code& ec);

 protected:
  tcp::socket* plain_ = nullptr;  // set by plain_stream to its own socket
};

// Plain TCP. Expects a non-blocking socket once the pumps run (the session sets it).
class plain_stream final : public byte_stream {
 public:
  explicit plain_stream(tcp::socket s) : socket_(std::move(s)) { plain_ = &socket_; }

  std::size_t try_read_some(boost::asio::mutable_buffer buf, error_code& ec) override;
  boost::asio::awaitable<void> wait_readable(error_code& ec) override;
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buf,
                                                error_code& ec) override;
  boost::asio::awaitable<void> write(std::span<const boost::asio::const_buffer> bufs,
                                     error_code& ec) override;
  void shutdown_send(error_code& ec) override;
  void close() noexcept override;
  tcp::socket& socket() noexcept override { return socket_; }

 private:
  tcp::socket socket_;
};

}  // namespace kpp::net
