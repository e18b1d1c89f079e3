// A scripted single-node Kafka broker on loopback with a SASL listener and a short session
// lifetime, for KIP-368 tests (kfake-broker has no session-lifetime option). It answers
// ApiVersions, SaslHandshake v1 + SaslAuthenticate v0-2 (PLAIN, SCRAM-SHA-256/512, through the
// proxy's own server-side login, auth::sasl_server_session), Metadata v0-1 (naming itself as
// node 1) and Produce v0-3 (an empty answer, after `answer_delay` so requests stay in flight).
// Like Apache Kafka it closes a connection that sends anything but ApiVersions and SASL before
// its login, or anything but SaslHandshake once its login expired; a SaslHandshake on a
// logged-in connection starts a re-authentication. It records what it saw for the test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace kpp::test {

struct scripted_sasl_broker_options {
  std::string user = "proxyuser";
  std::string password = "proxy-secret";
  std::int64_t session_lifetime_ms = 1500;
  // A request is refused as expired only this long after the lifetime ends: a loaded test machine
  // can delay a request the proxy sent in time by tens of milliseconds, while a proxy that never
  // renews is still caught one grace later.
  std::chrono::milliseconds expiry_grace{1000};
  // The n-th login on a connection (1: the first, 2: the first re-authentication) is refused
  // with SASL_AUTHENTICATION_FAILED and `reject_message`, then the connection closes. 0: never.
  int reject_login = 0;
  std::string reject_message = "re-authentication refused by the scripted broker";
  // The SaslHandshake of the n-th login on a connection is never answered. 0: always answered.
  int silent_login = 0;
  std::chrono::milliseconds answer_delay{20};
};

struct scripted_sasl_broker_stats {
  int connections = 0;
  int logins = 0;  // successful, first logins and re-authentications
  int connections_with_produce = 0;
  int max_logins_on_a_produce_connection = 0;
  int closed_expired = 0;                // a request after the login expired
  int closed_unauthenticated = 0;        // a request before any login
  int handshakes_with_answers_owed = 0;  // a re-authentication began with requests unanswered
  int rejected = 0;
  int requests = 0;  // every request read

  // One line for a failure message.
  [[nodiscard]] std::string describe() const;
};

class scripted_sasl_broker {
 public:
  explicit scripted_sasl_broker(scripted_sasl_broker_options options);
  ~scripted_sasl_broker();
  scripted_sasl_broker(const scripted_sasl_broker&) = delete;
  scripted_sasl_broker& operator=(const scripted_sasl_broker&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] scripted_sasl_broker_stats stats() const;

 private:
  struct connection;
  void serve();
  // Handles one request; false to close the connection.
  bool on_request(connection& c, const std::string& payload);

  scripted_sasl_broker_options options_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  scripted_sasl_broker_stats stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kpp::test
