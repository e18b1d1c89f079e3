// Recognises the bytes of the wrong protocol on a Kafka connection (TLS, HTTP) so the log
// names the cause and the setting that fixes it, instead of "frame size 369295616".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/net/close_reason.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

struct mismatch {
  protocol_error_cause cause;
  std::string message;
};

// The first bytes a client sent on a plaintext Kafka listener.
[[nodiscard]] std::optional<mismatch> classify_client_bytes(protocol::bytes_view head,
                                                            std::size_t max_frame_size);
// The first bytes an upstream broker sent on a plaintext connection.
[[nodiscard]] std::optional<mismatch> classify_upstream_bytes(protocol::bytes_view head);

// "client sent a frame of 0x16030100 bytes (369295616), above limits.max_frame_size ...;
// these bytes look like a TLS handshake".
[[nodiscard]] std::string describe_bad_frame_size(std::uint32_t size, protocol::bytes_view head,
                                                  std::size_t max_frame_size, std::string_view who,
                                                  std::string_view setting);

}  // namespace kpp::net
