// A loopback "broker" whose answers the test scripts, for raw protocol tests that need an
// upstream doing exactly one odd thing (TLS bytes, raw SASL tokens): `respond` sees what a
// connection sent so far (and consumes what it handled) and says what to write back and
// whether to hang up. Plaintext, or TLS when given a certificate and key. With the frame
// helpers such a script needs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/raw_client.h"

struct ssl_st;
struct ssl_ctx_st;

namespace kpp::test {

struct fake_reply {
  bytes data;
  bool close = false;
};
using fake_script = std::function<fake_reply(bytes& inbox)>;

// PEM files of the certificate chain and key a TLS fake broker presents.
struct fake_tls_files {
  std::string cert_file;
  std::string key_file;
};

class fake_broker {
 public:
  explicit fake_broker(fake_script respond, std::optional<fake_tls_files> tls = std::nullopt);
  ~fake_broker();
  fake_broker(const fake_broker&) = delete;
  fake_broker& operator=(const fake_broker&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // False when the TLS certificate or key could not be loaded (see error()).
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  struct conn {
    int fd;
    bytes inbox;
    ssl_st* ssl = nullptr;  // TLS only
  };
  void loop();
  // Appends what `c` sent to its inbox; false when it closed or failed.
  bool receive(conn& c);
  void send_all(conn& c, const bytes& data);

  fake_script respond_;
  ssl_ctx_st* tls_ = nullptr;
  std::string error_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<conn> conns_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Takes one whole frame's payload off the front of `inbox`, if one is there.
std::optional<bytes> take_frame(bytes& inbox);
// `payload` with its 4-byte size in front.
bytes framed(const bytes& payload);
// A Kafka STRING: int16 length, then the bytes.
void put_string(bytes& b, const std::string& s);
bytes text_bytes(const std::string& s);

// SaslHandshake v0/v1 response payload (response header v0): correlation id, error code,
// the mechanisms the broker enables.
bytes sasl_handshake_response(std::int32_t corr, std::int16_t error,
                              const std::vector<std::string>& mechanisms);

}  // namespace kpp::test
