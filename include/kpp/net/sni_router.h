// routing: sni. One TLS listener serves the bootstrap name and every broker; the server name
// of the ClientHello picks the route. The router sits in every client-facing TLS context as
// its servername callback: a name that is neither the bootstrap host nor a broker name under
// the advertised-host template ends the handshake with the alert unrecognized_name. A client
// that sends no SNI (one connecting by IP address) gets the bootstrap route only.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/net/tls_context_store.h"
#include "kpp/routing/host_template.h"

namespace kpp::net {

struct sni_route {
  // unknown_node: the name matches the broker template, but no broker with that id has a
  // route (yet). Its handshake completes and the session closes after it: a handshake alert
  // is fatal to Java clients, a closed connection is retried through their bootstrap.
  enum class kind : std::uint8_t { bootstrap, broker, unrecognized, unknown_node };
  kind type = kind::unrecognized;
  std::int32_t node_id = -1;  // kind::broker
};

// What the callback decided for one connection (attach() before the handshake).
struct sni_verdict {
  bool decided = false;
  sni_route route;
  std::string server_name;  // as the client sent it (printable ASCII); empty: no SNI
  // Set before the handshake: does this node id have a route (the broker map's view)? Unset:
  // every id matching the template is taken. A node the proxy has not discovered yet is
  // refused too: a client only learns a broker name from Metadata the proxy served after
  // routing it, so such a name is stale or from a replica ahead of this one, and the client
  // retries from its bootstrap name.
  std::function<bool(std::int32_t)> known_node;
  // A per-name certificate's context the handshake switched to: held until the handshake
  // ends, so a rotation meanwhile cannot free what the handshake still uses.
  context_ptr certificate;
};

class sni_router {
 public:
  // `certificates`: per-name certificates; a routed name that one of them covers (SAN, as
  // X509_check_host matches it) is served with it instead of the listener's own certificate.
  sni_router(std::string bootstrap_host, routing::host_template brokers,
             std::vector<std::shared_ptr<tls_context_store>> certificates = {});

  // Pure: empty (no SNI) and the bootstrap host give bootstrap; a rendering of the template
  // gives that broker; anything else is unrecognized. Host names compare case-insensitively.
  [[nodiscard]] sni_route resolve(std::string_view server_name) const noexcept;

  // Makes this router the context's servername callback. The router must outlive every SSL
  // made from the context (the app keeps it beside the context store).
  void install(SSL_CTX* ctx) const;

  // The connection's verdict goes to `v` (until detach()), so the session routes by it and
  // names a refused name in its one log line.
  static void attach(SSL* ssl, sni_verdict* v) noexcept;
  static void detach(SSL* ssl) noexcept;

  // For "is neither " + expected(): the bootstrap host and the broker pattern, with the keys.
  [[nodiscard]] std::string expected() const;

  // The one log line for a refused name (kind unrecognized or unknown_node): the name
  // received, and what was expected (the pattern, or the node ids known: `known`).
  [[nodiscard]] std::string refusal(const sni_verdict& v,
                                    const std::vector<std::int32_t>& known) const;

  // The per-name certificate context covering `server_name`, or null.
  [[nodiscard]] context_ptr certificate_for(std::string_view server_name) const;

 private:
  static int on_servername(SSL* ssl, int* alert, void* arg);

  std::string bootstrap_host_;
  routing::host_template brokers_;
  std::vector<std::shared_ptr<tls_context_store>> certificates_;
};

}  // namespace kpp::net
