// Typed causes for TLS failures: loading certificates and keys, and handshakes on either leg.
// Each cause carries one user-facing line that says what is wrong and what to change.
#pragma once

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/net/tls_handshake_cause.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

// Why building a TLS context from files failed.
enum class tls_load_error : std::uint8_t {
  file_unreadable,
  bad_certificate,  // not a PEM certificate chain
  bad_key,          // not a PEM private key, or wrong password
  key_mismatch,     // key does not belong to the certificate
  bad_ca,           // CA bundle holds no usable certificate
  bad_crl,          // CRL file holds no usable CRL
  unknown_cipher,
  unknown_curve,
  bad_password_file,
};
[[nodiscard]] std::string_view to_string(tls_load_error e) noexcept;

struct tls_load_failure {
  tls_load_error cause;
  std::string message;  // names the file (never a secret) and what to do
};

struct tls_handshake_failure {
  tls_handshake_cause cause;
  std::string message;  // one log line
};

// Classifies a failed handshake from the Asio error and the SSL's verify result.
// `peer` names the other side for the message ("client 10.0.0.5:51234", "broker b1:9093").
[[nodiscard]] tls_handshake_failure classify_handshake_error(const boost::system::error_code& ec,
                                                             const SSL* ssl, tls_leg leg,
                                                             std::string_view peer);

// The first bytes a client sent to a TLS listener, peeked before the handshake: a plaintext
// Kafka request (a size field, then api key and version) instead of a ClientHello (0x16).
[[nodiscard]] std::optional<tls_handshake_failure> classify_tls_listener_head(
    protocol::bytes_view head, std::string_view peer);

}  // namespace kpp::net
