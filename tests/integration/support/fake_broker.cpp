#include "support/fake_broker.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "support/ports.h"

namespace kpp::test {

fake_broker::fake_broker(fake_script respond, std::optional<fake_tls_files> tls)
    : respond_(std::move(respond)) {
  if (tls) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (!tls_ || SSL_CTX_use_certificate_chain_file(tls_, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      error_ = "fake broker: cannot load " + tls->cert_file + " / " + tls->key_file;
  }
  listen_fd_ = listen_loopback(port_, "fake broker");
  thread_ = std::thread([this] { loop(); });
}

fake_broker::~fake_broker() {
  stop_ = true;
  thread_.join();
  for (auto& c : conns_) {
    if (c.ssl) SSL_free(c.ssl);
    ::close(c.fd);
  }
  ::close(listen_fd_);
  if (tls_) SSL_CTX_free(tls_);
}

void fake_broker::loop() {
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        conn c{fd, {}};
        if (tls_) {
          // Non-blocking, so a handshake or a read that needs more bytes returns to the loop.
          (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
          c.ssl = SSL_new(tls_);
          SSL_set_fd(c.ssl, fd);
          SSL_set_accept_state(c.ssl);
        }
        conns_.push_back(c);
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto& c = conns_[i - 1];
      const auto before = c.inbox.size();
      bool drop = !receive(c);
      if (c.inbox.size() > before) {
        auto reply = respond_(c.inbox);
        if (!reply.data.empty()) send_all(c, reply.data);
        drop = drop || reply.close;
      }
      if (drop) {
        if (c.ssl) SSL_free(c.ssl);
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(conns_, [](const conn& c) { return c.fd < 0; });
  }
}

bool fake_broker::receive(conn& c) {
  std::uint8_t buf[4096];
  if (!c.ssl) {
    const auto n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) c.inbox.insert(c.inbox.end(), buf, buf + n);
    return n > 0;
  }
  // Drain what OpenSSL can decrypt now (it may hold more than poll sees on the socket).
  for (;;) {
    ERR_clear_error();  // SSL_get_error reads this thread's queue: no stale entry in it
    const int n = SSL_read(c.ssl, buf, sizeof buf);
    if (n > 0) {
      c.inbox.insert(c.inbox.end(), buf, buf + n);
      continue;
    }
    const int err = SSL_get_error(c.ssl, n);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  }
}

void fake_broker::send_all(conn& c, const bytes& data) {
  if (!c.ssl) {
    (void)::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
    return;
  }
  std::size_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (done < data.size() && std::chrono::steady_clock::now() < deadline) {
    ERR_clear_error();
    const int n = SSL_write(c.ssl, data.data() + done, static_cast<int>(data.size() - done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    const int err = SSL_get_error(c.ssl, n);
    if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) return;
    pollfd p{c.fd, err == SSL_ERROR_WANT_WRITE ? short{POLLOUT} : short{POLLIN}, 0};
    (void)::poll(&p, 1, 100);
  }
}

std::optional<bytes> take_frame(bytes& inbox) {
  if (inbox.size() < 4) return std::nullopt;
  const auto size = static_cast<std::size_t>(get_i32(inbox, 0));
  if (inbox.size() < 4 + size) return std::nullopt;
  bytes payload(inbox.begin() + 4, inbox.begin() + 4 + static_cast<long>(size));
  inbox.erase(inbox.begin(), inbox.begin() + 4 + static_cast<long>(size));
  return payload;
}

bytes framed(const bytes& payload) {
  bytes out;
  put_i32(out, static_cast<std::int32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void put_string(bytes& b, const std::string& s) {
  put_i16(b, static_cast<std::int16_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

bytes text_bytes(const std::string& s) {
  return bytes(s.begin(), s.end());
}

bytes sasl_handshake_response(std::int32_t corr, std::int16_t error,
                              const std::vector<std::string>& mechanisms) {
  bytes p;
  put_i32(p, corr);
  put_i16(p, error);
  put_i32(p, static_cast<std::int32_t>(mechanisms.size()));
  for (const auto& m : mechanisms) put_string(p, m);
  return p;
}

}  // namespace kpp::test
