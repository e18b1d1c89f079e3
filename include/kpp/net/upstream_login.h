// The proxy's own SASL login to a broker (upstream.sasl): SaslHandshake v1 + SaslAuthenticate
// over a connected byte stream, before any client byte is relayed. The exchange itself is the
// pure auth::sasl_login; this runs its I/O under the dial deadline.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "kpp/auth/mechanism.h"
#include "kpp/auth/sasl_login.h"
#include "kpp/common/result.h"
#include "kpp/net/byte_stream.h"
#include "kpp/protocol/bytes.h"

namespace kpp::net {

// What the proxy logs in with. The password was read from a file or an environment variable
// at start (auth/upstream_secret); it is never logged.
struct upstream_login_settings {
  auth::mechanism mech = auth::mechanism::scram_sha_512;
  std::string username;
  std::string password;
};

enum class login_failure_kind : std::uint8_t {
  rejected,   // the broker refused (wrong credentials, mechanism not enabled, ...)
  io,         // the connection failed or closed during the login
  timed_out,  // the login did not finish by the deadline
  protocol,   // an answer that does not decode, or a SCRAM proof that does not verify
};

struct login_failure {
  login_failure_kind kind = login_failure_kind::protocol;
  std::string message;  // for the log: quotes the broker's error message when it gave one
};

struct login_done {
  std::int64_t session_lifetime_ms = 0;  // 0: the broker set none (KIP-368)
};

// SaslAuthenticate v1: Kafka 2.0+ (v1 carries SessionLifetimeMs); not flexible, so no
// ApiVersions round trip is needed to pick it.
inline constexpr std::int16_t upstream_authenticate_version = 1;

// The pieces a login shares with a re-authentication on a live connection (session_reauth):
// the login driver's settings, the frame of one step, and the body of its answer (nullopt
// when the response header does not decode or names another correlation id).
[[nodiscard]] auth::login_config login_config_for(const upstream_login_settings& settings);
void encode_login_step(protocol::byte_buffer& frame, const auth::login_request& req,
                       std::int32_t correlation);
[[nodiscard]] std::optional<protocol::bytes_view> login_answer_body(protocol::bytes_view payload,
                                                                    const auth::login_request& req,
                                                                    std::int32_t correlation);

// Logs in on `stream` (connected, nothing sent on it yet). On a timeout the stream is closed.
[[nodiscard]] boost::asio::awaitable<common::result<login_done, login_failure>> login_upstream(
    byte_stream& stream, const upstream_login_settings& settings,
    std::chrono::steady_clock::time_point deadline);

}  // namespace kpp::net
