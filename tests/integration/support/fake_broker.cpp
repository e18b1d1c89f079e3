#include "support/fake_broker.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/ports.h"

namespace kpp::test {

fake_broker::fake_broker(fake_script respond) : respond_(std::move(respond)) {
  listen_fd_ = listen_loopback(port_, "fake broker");
  thread_ = std::thread([this] { loop(); });
}

fake_broker::~fake_broker() {
  stop_ = true;
  thread_.join();
  for (auto& c : conns_) ::close(c.fd);
  ::close(listen_fd_);
}

void fake_broker::loop() {
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) conns_.push_back({fd, {}});
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto& c = conns_[i - 1];
      std::uint8_t buf[4096];
      const auto n = ::recv(c.fd, buf, sizeof buf, 0);
      bool drop = n <= 0;
      if (n > 0) {
        c.inbox.insert(c.inbox.end(), buf, buf + n);
        auto reply = respond_(c.inbox);
        if (!reply.data.empty())
          (void)::send(c.fd, reply.data.data(), reply.data.size(), MSG_NOSIGNAL);
        drop = reply.close;
      }
      if (drop) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(conns_, [](const conn& c) { return c.fd < 0; });
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
