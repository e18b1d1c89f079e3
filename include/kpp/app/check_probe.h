// `check`: one Kafka conversation with one address, the way the proxy's discovery has it
// (ApiVersions, then Metadata), with every way it can go wrong named: refused, timeout, TLS
// on one side only, not Kafka, SASL required (and which mechanisms the listener offers).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kpp/net/upstream_dialer.h"
#include "kpp/net/upstream_login.h"
#include "kpp/routing/host_port.h"

namespace kpp::app {

enum class probe_outcome : std::uint8_t {
  ok,
  refused,        // nothing listens there (RST)
  timeout,        // no connection or no answer within the timeout
  unreachable,    // name does not resolve, no route, ...
  tls_mismatch,   // one side speaks TLS, the other plaintext
  tls_failed,     // upstream.tls: the handshake failed (CA, name, expiry, client certificate)
  sasl_required,  // ApiVersions answered, Metadata refused before authentication
  not_kafka,      // an answer, but not a Kafka one
  login_failed,   // upstream.sasl: the broker refused the proxy's SASL login
};
[[nodiscard]] const char* to_string(probe_outcome o) noexcept;

struct probe_broker {
  std::int32_t node_id = 0;
  routing::host_port address;
};

struct probe_result {
  probe_outcome outcome = probe_outcome::ok;
  std::string detail;  // what happened, for the table
  std::size_t api_count = 0;
  std::int16_t metadata_version = -1;
  std::optional<std::string> cluster_id;
  std::vector<probe_broker> brokers;         // from Metadata, when ok
  std::vector<std::string> sasl_mechanisms;  // when the listener requires SASL
  // With options.tls, once the handshake completed: the certificate the other side presented,
  // its notAfter (unix seconds) and whether it covers options.tls_name (empty: it does).
  bool tls_handshake_ok = false;
  std::optional<std::int64_t> tls_not_after;
  std::vector<std::string> tls_uncovered;
};

struct probe_options {
  std::chrono::milliseconds timeout{5000};
  std::string client_id = "kafka-psc-proxy-check";
  // upstream.sasl: log in after connecting, as the proxy does (brokers only; never set when
  // probing the proxy's own listeners).
  std::shared_ptr<const net::upstream_login_settings> login;
  std::shared_ptr<const net::dial_tls> tls;  // upstream.tls; null: plaintext
  std::string tls_name;  // the name the certificate must hold; empty: the address's host
};

// Dials `address` (with options.tls, the TLS handshake is part of the dial, as in the proxy)
// and runs ApiVersions + Metadata. Never throws.
boost::asio::awaitable<probe_result> probe_kafka(routing::host_port address, probe_options options);

// probe_kafka on every address at once (at most `max_parallel` in flight), results in the
// order given: a dropped port range costs one timeout, not one per broker. `tls_names`, when
// given, holds each address's tls_name (the broker's own host when a dial mapping rewrote it).
boost::asio::awaitable<std::vector<probe_result>> probe_all(
    std::vector<routing::host_port> addresses, probe_options options,
    std::vector<std::string> tls_names = {}, std::size_t max_parallel = 32);

// The same, with each address's own options (e.g. a TLS listener beside a plaintext one).
boost::asio::awaitable<std::vector<probe_result>> probe_each(
    std::vector<routing::host_port> addresses, std::vector<probe_options> options,
    std::size_t max_parallel = 32);

}  // namespace kpp::app
