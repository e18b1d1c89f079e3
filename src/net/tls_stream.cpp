#include "kpp/net/tls_stream.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <stdexcept>

namespace kpp::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct tls_stream::impl {
  impl(tcp::socket s, context_ptr c);
  ~impl() { SSL_free(ssl); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  enum class step : std::uint8_t { want_read, want_write, failed };
  // After an SSL call returned `ret` <= 0: what to wait for, or the error in `ec`.
  step after(int ret, boost::system::error_code& ec);

  context_ptr ctx;  // outlives `ssl`
  tcp::socket socket;
  SSL* ssl = nullptr;
  int last_errno = 0;             // of the BIO's last failed recv/send
  bool eof = false;               // the peer closed TCP
  bool received = false;          // a byte came from the peer
  bool failed = false;            // a fatal TLS error: no close_notify any more
  bool need_socket = false;       // the last read stopped for lack of bytes from the socket
  bool read_wants_write = false;  // ... and it must write first (a post-handshake message)
  bool writing = false;
};

namespace {

// The BIO between OpenSSL and the socket: non-blocking recv/send (MSG_NOSIGNAL: a peer that
// went away is an error, not SIGPIPE). A closed socket is never touched: its descriptor number
// may already belong to another connection.
int bio_write(BIO* b, const char* data, std::size_t len, std::size_t* written) {
  auto* s = static_cast<tls_stream::impl*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (!s->socket.is_open()) {
    s->last_errno = EBADF;
    return 0;
  }
  const auto n = ::send(s->socket.native_handle(), data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<std::size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    BIO_set_retry_write(b);
    return 0;
  }
  s->last_errno = errno;
  return 0;
}

int bio_read(BIO* b, char* data, std::size_t len, std::size_t* read) {
  auto* s = static_cast<tls_stream::impl*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (!s->socket.is_open()) {
    s->last_errno = EBADF;
    return 0;
  }
  const auto n = ::recv(s->socket.native_handle(), data, len, MSG_DONTWAIT);
  if (n > 0) {
    s->received = true;
    *read = static_cast<std::size_t>(n);
    return 1;
  }
  if (n == 0) {
    s->eof = true;
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    BIO_set_retry_read(b);
    return 0;
  }
  s->last_errno = errno;
  return 0;
}

long bio_ctrl(BIO* b, int cmd, long /*num*/, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return static_cast<tls_stream::impl*>(BIO_get_data(b))->eof ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kpp socket");
    if (m == nullptr) return m;
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

}  // namespace

tls_stream::impl::impl(tcp::socket s, context_ptr c)
    : ctx(std::move(c)), socket(std::move(s)), ssl(SSL_new(ctx->native_handle())) {
  BIO* bio = ssl ? BIO_new(socket_bio_method()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    throw std::runtime_error("cannot create a TLS connection (out of memory)");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);
  // As Asio's engine: a write may complete in parts, and a retried write may be given the
  // rest of the buffer from a new address.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read whole socket reads (several records at once), not a header then a body.
  SSL_set_read_ahead(ssl, 1);
}

tls_stream::impl::step tls_stream::impl::after(int ret, boost::system::error_code& ec) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return step::want_read;
    case SSL_ERROR_WANT_WRITE:
      return step::want_write;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      ec = asio::error::eof;
      return step::failed;
    case SSL_ERROR_SYSCALL:
      failed = true;
      if (eof || last_errno == 0)
        ec = asio::error::eof;
      else
        ec = boost::system::error_code(last_errno, boost::system::system_category());
      ERR_clear_error();
      return step::failed;
    default: {
      failed = true;
      const auto code = ERR_get_error();
      ERR_clear_error();
      // Most Kafka clients close TCP without a close_notify: that is the end, not an attack.
      if (eof && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::error::eof;
        return step::failed;
      }
      ec = code != 0
               ? boost::system::error_code(static_cast<int>(code), asio::error::get_ssl_category())
               : boost::system::error_code(asio::ssl::error::unspecified_system_error);
      return step::failed;
    }
  }
}

tls_stream::tls_stream(tcp::socket s, context_ptr ctx)
    : impl_(std::make_shared<impl>(std::move(s), std::move(ctx))) {}

tls_stream::~tls_stream() = default;

SSL* tls_stream::native_handle() noexcept {
  return impl_->ssl;
}

bool tls_stream::received_nothing() const noexcept {
  return !impl_->received;
}

tcp::socket& tls_stream::socket() noexcept {
  return impl_->socket;
}

awaitable<void> tls_stream::handshake(handshake_type type, std::chrono::milliseconds deadline,
                                      error_code& ec) {
  impl& s = *impl_;
  auto timer = std::make_shared<asio::steady_timer>(s.socket.get_executor(), deadline);
  auto expired = std::make_shared<bool>(false);
  timer->async_wait([weak = std::weak_ptr<impl>(impl_), expired](const error_code& e) {
    if (e) return;  // cancelled: the handshake finished first
    if (auto alive = weak.lock()) {
      *expired = true;
      error_code ignored;
      alive->socket.close(ignored);
    }
  });
  if (type == ssl::stream_base::client)
    SSL_set_connect_state(s.ssl);
  else
    SSL_set_accept_state(s.ssl);
  ec.clear();
  for (;;) {
    ERR_clear_error();
    const int r = SSL_do_handshake(s.ssl);
    if (r == 1) break;
    const auto step = s.after(r, ec);
    if (step == impl::step::failed) break;
    co_await s.socket.async_wait(
        step == impl::step::want_read ? tcp::socket::wait_read : tcp::socket::wait_write,
        redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  timer->cancel();
  if (ec && *expired) ec = asio::error::timed_out;
}

namespace {
// SSL_read returns one record at a time: take the further records the read-ahead buffer already
// holds as well, so the caller forwards up to its whole buffer per write (fewer sends on the
// other leg). Stops at the first record not fully here; what stopped it (want-read, an error)
// is met again, and reported, by the next read.
std::size_t read_buffered(tls_stream::impl& s, std::byte* out, std::size_t room) {
  std::size_t total = 0;
  while (room > total && SSL_has_pending(s.ssl) == 1) {
    std::size_t n = 0;
    if (SSL_read_ex(s.ssl, out + total, room - total, &n) != 1) {
      ERR_clear_error();
      break;
    }
    total += n;
  }
  return total;
}
}  // namespace

std::size_t tls_stream::try_read_some(asio::mutable_buffer buf, error_code& ec) {
  impl& s = *impl_;
  ec.clear();
  s.need_socket = false;
  s.read_wants_write = false;
  if (buf.size() == 0) return 0;
  ERR_clear_error();
  std::size_t n = 0;
  const int r = SSL_read_ex(s.ssl, buf.data(), buf.size(), &n);
  if (r == 1) return n + read_buffered(s, static_cast<std::byte*>(buf.data()) + n, buf.size() - n);
  switch (s.after(r, ec)) {
    case impl::step::want_write:
      s.read_wants_write = true;
      [[fallthrough]];
    case impl::step::want_read:
      s.need_socket = true;
      ec = asio::error::would_block;
      return 0;
    case impl::step::failed:
      break;
  }
  return 0;
}

awaitable<void> tls_stream::wait_readable(error_code& ec) {
  impl& s = *impl_;
  ec.clear();
  // Decrypted bytes, or unprocessed record bytes the last read did not get to: no wait. After
  // a read that asked for the socket, what OpenSSL holds is an incomplete record.
  if (!s.need_socket && (SSL_pending(s.ssl) > 0 || SSL_has_pending(s.ssl) == 1)) co_return;
  // Going idle: give OpenSSL's record buffers back. SSL_MODE_RELEASE_BUFFERS frees them only
  // after application data; the write buffer of a post-handshake message (the server's
  // session tickets, sent from the first SSL_read) would stay for the connection's life, about
  // 16 KiB per idle connection. SSL_free_buffers keeps any buffer that still holds bytes.
  if (!s.writing) (void)SSL_free_buffers(s.ssl);
  co_await s.socket.async_wait(
      s.read_wants_write ? tcp::socket::wait_write : tcp::socket::wait_read,
      redirect_error(use_awaitable, ec));
}

awaitable<std::size_t> tls_stream::read_some(asio::mutable_buffer buf, error_code& ec) {
  for (;;) {
    const auto n = try_read_some(buf, ec);
    if (ec != asio::error::would_block) co_return n;
    co_await wait_readable(ec);
    if (ec) co_return 0;
  }
}

awaitable<void> tls_stream::write(std::span<const asio::const_buffer> bufs, error_code& ec) {
  impl& s = *impl_;
  ec.clear();
  s.writing = true;
  for (const auto& b : bufs) {
    const auto* p = static_cast<const char*>(b.data());
    std::size_t left = b.size();
    while (left > 0 && !ec) {
      ERR_clear_error();
      std::size_t n = 0;
      const int r = SSL_write_ex(s.ssl, p, left, &n);
      if (r == 1) {
        p += n;
        left -= n;
        continue;
      }
      const auto step = s.after(r, ec);
      if (step == impl::step::failed) break;
      co_await s.socket.async_wait(
          step == impl::step::want_read ? tcp::socket::wait_read : tcp::socket::wait_write,
          redirect_error(use_awaitable, ec));
    }
    if (ec) break;
  }
  s.writing = false;
}

namespace {
// close_notify says "no more data" in TLS itself, so the peer can tell an end from a cut
// connection. Not in the middle of a record a write is still sending, nor after a fatal error
// (OpenSSL refuses then), nor before the handshake finished; best effort (one non-blocking
// send) when the send buffer is full.
void send_close_notify(tls_stream::impl& s) {
  if (s.writing || s.failed || !s.socket.is_open() || SSL_is_init_finished(s.ssl) != 1 ||
      (SSL_get_shutdown(s.ssl) & SSL_SENT_SHUTDOWN) != 0)
    return;
  ERR_clear_error();
  (void)SSL_shutdown(s.ssl);
  ERR_clear_error();
}
}  // namespace

void tls_stream::shutdown_send(error_code& ec) {
  send_close_notify(*impl_);
  impl_->socket.shutdown(tcp::socket::shutdown_send, ec);
}

void tls_stream::close() noexcept {
  send_close_notify(*impl_);
  error_code ignored;
  impl_->socket.close(ignored);
}

}  // namespace kpp::net
