// What every session of a listener that authenticates its clients (listeners.sasl) shares:
// the enabled mechanisms, the users file (re-read when it changes), the brute-force brake
// per source address, and the broker's API versions to answer a client's ApiVersions with
// before it has logged in (nothing goes upstream for an unauthenticated client). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/auth/attempt_limiter.h"
#include "kpp/auth/mechanism.h"
#include "kpp/auth/sasl_server_session.h"
#include "kpp/auth/users_file.h"
#include "kpp/protocol/api_versions_response.h"

namespace kpp::net {

struct client_auth_settings {
  std::vector<auth::mechanism> mechanisms;
  std::string users_file;
};

class client_authenticator {
 public:
  // Loads the users file; nullptr and `error` set when it cannot be used.
  static std::shared_ptr<client_authenticator> create(client_auth_settings settings,
                                                      std::string& error);

  // A fresh server-side exchange for one connection's login.
  [[nodiscard]] std::unique_ptr<auth::sasl_server_session> start_login();
  // The users file changed on disk: re-read it (at most once a second; a broken file is
  // logged and the previous users kept). Called before each login.
  void refresh_users();

  // After a failed login from `source` (an address, no port): how long to wait before
  // answering. After a success: the source starts over.
  std::chrono::milliseconds failed(std::string_view source);
  void succeeded(std::string_view source);

  // ApiVersions before login: the broker's ranges, learned by discovery, with SaslHandshake
  // and SaslAuthenticate as this listener serves them; only those (and ApiVersions) until
  // discovery has answered. The body at `requested_version` (KIP-511 fallback above 4).
  void set_broker_versions(const protocol::api_versions_response& r);
  std::int16_t encode_api_versions(std::int16_t requested_version,
                                   protocol::byte_buffer& out) const;

  [[nodiscard]] const client_auth_settings& settings() const noexcept { return settings_; }

 private:
  struct file_stamp {
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    friend bool operator==(const file_stamp&, const file_stamp&) = default;
  };
  explicit client_authenticator(client_auth_settings settings);
  static std::optional<file_stamp> stamp_of(const std::string& path);

  client_auth_settings settings_;
  std::string decoy_key_;
  mutable std::mutex mu_;
  std::shared_ptr<const auth::users_db> users_;
  file_stamp stamp_;
  std::chrono::steady_clock::time_point last_check_{};
  auth::attempt_limiter limiter_;
  std::vector<std::pair<std::int16_t, std::pair<std::int16_t, std::int16_t>>> broker_ranges_;
};

}  // namespace kpp::net
