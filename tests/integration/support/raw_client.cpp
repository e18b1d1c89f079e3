#include "support/raw_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace kpp::test {

raw_client::raw_client(std::uint16_t port) : raw_client(port, 0) {}

raw_client::raw_client(std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_client::~raw_client() {
  close();
}

void raw_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void raw_client::half_close() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void raw_client::reset() {
  if (fd_ < 0) return;
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close();
}

bool raw_client::readable(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

bool raw_client::send(const bytes& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    const auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_client::read_exact(std::uint8_t* out, std::size_t n,
                            std::chrono::steady_clock::time_point deadline) {
  std::size_t done = 0;
  while (done < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const auto got = ::recv(fd_, out + done, n - done, 0);
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

std::optional<bytes> raw_client::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t size_bytes[4];
  if (!read_exact(size_bytes, 4, deadline)) return std::nullopt;
  const std::uint32_t size = (std::uint32_t(size_bytes[0]) << 24) |
                             (std::uint32_t(size_bytes[1]) << 16) |
                             (std::uint32_t(size_bytes[2]) << 8) | std::uint32_t(size_bytes[3]);
  if (size > (256u << 20)) return std::nullopt;
  bytes payload(size);
  if (!read_exact(payload.data(), size, deadline)) return std::nullopt;
  return payload;
}

bool raw_client::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t sink[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const auto got = ::recv(fd_, sink, sizeof sink, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET || errno == EPIPE;
  }
}

void put_i16(bytes& b, std::int16_t v) {
  b.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(v) >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put_i32(bytes& b, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(u >> shift));
}
std::int16_t get_i16(const bytes& b, std::size_t at) {
  return static_cast<std::int16_t>((b.at(at) << 8) | b.at(at + 1));
}
std::int32_t get_i32(const bytes& b, std::size_t at) {
  return static_cast<std::int32_t>(
      (std::uint32_t(b.at(at)) << 24) | (std::uint32_t(b.at(at + 1)) << 16) |
      (std::uint32_t(b.at(at + 2)) << 8) | std::uint32_t(b.at(at + 3)));
}

namespace {
bytes frame(std::int16_t key, std::int16_t version, std::int32_t corr, const bytes& body,
            const std::string& client_id, bool v2) {
  bytes payload;
  put_i16(payload, key);
  put_i16(payload, version);
  put_i32(payload, corr);
  put_i16(payload, static_cast<std::int16_t>(client_id.size()));
  payload.insert(payload.end(), client_id.begin(), client_id.end());
  if (v2) payload.push_back(0);  // empty tagged-field section
  payload.insert(payload.end(), body.begin(), body.end());
  bytes out;
  put_i32(out, static_cast<std::int32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
}  // namespace

bytes request_frame(std::int16_t key, std::int16_t version, std::int32_t correlation_id,
                    const bytes& body, const std::string& client_id) {
  return frame(key, version, correlation_id, body, client_id, false);
}
bytes request_frame_v2(std::int16_t key, std::int16_t version, std::int32_t correlation_id,
                       const bytes& body, const std::string& client_id) {
  return frame(key, version, correlation_id, body, client_id, true);
}

}  // namespace kpp::test
