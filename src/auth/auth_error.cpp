#include "kpp/auth/auth_error.h"

namespace kpp::auth {

std::string_view to_string(auth_errc code) noexcept {
  switch (code) {
    case auth_errc::crypto_failure:
      return "crypto failure";
    case auth_errc::not_ascii:
      return "not printable ASCII";
    case auth_errc::malformed_message:
      return "malformed SASL message";
    case auth_errc::nonce_mismatch:
      return "nonce mismatch";
    case auth_errc::bad_iterations:
      return "iteration count out of range";
    case auth_errc::server_signature_mismatch:
      return "server signature mismatch";
    case auth_errc::server_error:
      return "SCRAM server error";
    case auth_errc::unknown_user:
      return "unknown user";
    case auth_errc::bad_password:
      return "bad password";
    case auth_errc::unsupported_mechanism:
      return "unsupported mechanism";
    case auth_errc::out_of_order:
      return "step out of order";
    case auth_errc::protocol_error:
      return "protocol error";
    case auth_errc::broker_rejected:
      return "rejected by the broker";
    case auth_errc::file_unreadable:
      return "file unreadable";
    case auth_errc::file_permissions:
      return "file permissions too open";
    case auth_errc::file_bad_line:
      return "bad line";
    case auth_errc::secret_missing:
      return "secret missing";
    case auth_errc::secret_empty:
      return "secret empty";
    case auth_errc::secret_too_large:
      return "secret too large";
    case auth_errc::write_failed:
      return "write failed";
  }
  return "unknown auth error";
}

}  // namespace kpp::auth
