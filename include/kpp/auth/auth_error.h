// Error values of the auth layer: a code to branch on, and a sentence for the operator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "kpp/common/result.h"

namespace kpp::auth {

enum class auth_errc : std::uint8_t {
  crypto_failure,             // an OpenSSL call failed
  not_ascii,                  // a name or password outside printable ASCII (SASLprep is not done)
  malformed_message,          // a SASL message that does not follow its grammar
  nonce_mismatch,             // the server's nonce does not extend the client's
  bad_iterations,             // an iteration count outside [scram_min_iterations, max]
  server_signature_mismatch,  // the server could not prove it knows the password
  server_error,               // a SCRAM server-final "e=..."
  unknown_user,               // no credentials for that name
  bad_password,               // the proof or password does not match
  unsupported_mechanism,      // a mechanism this side does not enable
  out_of_order,               // a state machine step called at the wrong time
  protocol_error,             // a Kafka SASL response that does not decode
  broker_rejected,            // the broker answered an error code (detail quotes its message)
  file_unreadable,            // a users or secret file that cannot be opened or read
  file_permissions,           // a secret file readable by others (users file: group or others)
  file_bad_line,              // a users file line that does not parse (detail names the line)
  secret_missing,             // no secret file or environment variable
  secret_empty,               // the secret is empty
  secret_too_large,           // a secret file larger than any password
  write_failed,               // the users file could not be written
};

[[nodiscard]] std::string_view to_string(auth_errc code) noexcept;

struct auth_error {
  auth_errc code{};
  std::string detail;            // what is wrong and what to do; never holds a secret
  std::int16_t kafka_error = 0;  // the broker's error code, for broker_rejected
};

// A value or an auth_error; no exceptions.
template <class T>
using auth_result = common::result<T, auth_error>;

struct done_t {};
using auth_status = auth_result<done_t>;

inline auth_error fail(auth_errc code, std::string detail) {
  return {code, std::move(detail), 0};
}

}  // namespace kpp::auth
