// A blocking loopback TCP client for raw-socket tests: send bytes or Kafka frames, read
// frames back, tell "closed by the peer" from "no answer yet". Every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kpp::test {

using bytes = std::vector<std::uint8_t>;

class raw_client {
 public:
  explicit raw_client(std::uint16_t port);
  // With SO_RCVBUF set before connecting (a small buffer makes a non-reading client stall
  // the proxy's writes early).
  raw_client(std::uint16_t port, int receive_buffer);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // Sends all of `data`; false on error or when no byte could be sent for 5 s.
  bool send(const bytes& data);
  // Bytes can be read now, or within `timeout`.
  bool readable(std::chrono::milliseconds timeout);
  // A whole frame's payload (without the size), or nullopt on close/timeout.
  std::optional<bytes> read_frame(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // True when the peer closed the connection (EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  void close();
  // Shuts the write side (FIN); reading goes on.
  void half_close();
  // Closes with a reset (SO_LINGER 0): the peer's pending writes fail.
  void reset();

 private:
  bool read_exact(std::uint8_t* out, std::size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

// Request frame: size + header v1 (key, version, correlation id, client id) + body.
bytes request_frame(std::int16_t key, std::int16_t version, std::int32_t correlation_id,
                    const bytes& body = {}, const std::string& client_id = "test");
// Request frame with a v2 header (flexible versions: client id, then an empty tag section).
bytes request_frame_v2(std::int16_t key, std::int16_t version, std::int32_t correlation_id,
                       const bytes& body = {}, const std::string& client_id = "test");
void put_i16(bytes& b, std::int16_t v);
void put_i32(bytes& b, std::int32_t v);
std::int16_t get_i16(const bytes& b, std::size_t at);
std::int32_t get_i32(const bytes& b, std::size_t at);

}  // namespace kpp::test
