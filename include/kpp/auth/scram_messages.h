// The four SCRAM messages (RFC 5802 section 7) as Kafka exchanges them, parsed strictly.
// Names are sent as saslname: ',' as "=2C" and '=' as "=3D". SASLprep (RFC 4013) is not
// implemented: names and passwords must be printable ASCII (0x20-0x7e), for which SASLprep
// is the identity, and anything else is refused with not_ascii rather than mis-normalised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"

namespace kpp::auth {

// Printable ASCII only (see above); `what` names the value in the error ("username").
[[nodiscard]] auth_status check_ascii(std::string_view value, std::string_view what);
[[nodiscard]] std::string escape_saslname(std::string_view name);
[[nodiscard]] auth_result<std::string> unescape_saslname(std::string_view saslname);

// gs2-header "n,," or "n,a=<authzid>," (no channel binding) + client-first-bare.
struct client_first {
  std::string gs2_header;              // as sent, for the c= check of the final message
  std::optional<std::string> authzid;  // unescaped
  std::string username;                // unescaped
  std::string nonce;
  std::string bare;  // client-first-message-bare, verbatim (for AuthMessage)
};
[[nodiscard]] auth_result<client_first> parse_client_first(std::string_view msg);

struct server_first {
  std::string nonce;  // client nonce + server nonce
  std::string salt;   // decoded
  std::uint32_t iterations = 0;
};
// Rejects a mandatory extension (m=) and a missing or malformed attribute.
[[nodiscard]] auth_result<server_first> parse_server_first(std::string_view msg);

struct client_final {
  std::string channel_binding;  // decoded c=
  std::string nonce;
  std::string proof;          // decoded p=
  std::string without_proof;  // client-final-message-without-proof, verbatim
};
[[nodiscard]] auth_result<client_final> parse_client_final(std::string_view msg);

// v=<signature> (decoded) or, as an error, e=<server-error-value>.
[[nodiscard]] auth_result<std::string> parse_server_final(std::string_view msg);

// A nonce is printable ASCII without ','.
[[nodiscard]] bool valid_nonce(std::string_view nonce) noexcept;

}  // namespace kpp::auth
