#include "kpp/net/sni_router.h"

#include <openssl/x509v3.h>

#include "kpp/routing/host_template_match.h"

namespace kpp::net {
namespace {

// One ex_data slot for the per-connection verdict, made once for the process.
int verdict_index() noexcept {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The name goes into a log line: anything but printable ASCII (and the quote) becomes '?'.
// OpenSSL has already bounded it (255 bytes) and refused a NUL.
std::string printable(std::string_view name) {
  std::string out(name);
  for (auto& c : out)
    if (c < 0x21 || c > 0x7e || c == '"') c = '?';
  return out;
}

}  // namespace

sni_router::sni_router(std::string bootstrap_host, routing::host_template brokers,
                       std::vector<std::shared_ptr<tls_context_store>> certificates)
    : bootstrap_host_(std::move(bootstrap_host)),
      brokers_(std::move(brokers)),
      certificates_(std::move(certificates)) {}

context_ptr sni_router::certificate_for(std::string_view server_name) const {
  if (server_name.empty()) return nullptr;
  for (const auto& store : certificates_) {
    auto ctx = store->current();
    X509* cert = ctx ? SSL_CTX_get0_certificate(ctx->native_handle()) : nullptr;
    if (cert && X509_check_host(cert, server_name.data(), server_name.size(), 0, nullptr) == 1)
      return ctx;
  }
  return nullptr;
}

sni_route sni_router::resolve(std::string_view server_name) const noexcept {
  if (server_name.empty() || routing::host_names_equal(server_name, bootstrap_host_))
    return {sni_route::kind::bootstrap, -1};
  if (auto id = routing::match_node_id(brokers_, server_name))
    return {sni_route::kind::broker, *id};
  return {sni_route::kind::unrecognized, -1};
}

std::string sni_router::expected() const {
  return "the bootstrap host \"" + bootstrap_host_ + "\" nor a broker name \"" +
         brokers_.pattern() + "\" (sni.bootstrap_host, brokers.advertised_host)";
}

std::string sni_router::refusal(const sni_verdict& v,
                                const std::vector<std::int32_t>& known) const {
  const std::string head = "TLS server name (SNI) \"" + v.server_name + "\" ";
  if (v.route.type != sni_route::kind::unknown_node)
    return head + "is neither " + expected() + "; sent the alert unrecognized_name";
  std::string ids;
  for (auto id : known) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  return head + "matches the broker name \"" + brokers_.pattern() + "\" for node id " +
         std::to_string(v.route.node_id) + ", which the proxy has no route for (known node ids: " +
         (ids.empty() ? std::string("none yet, discovery has not answered") : ids) +
         "); closed after the handshake, and the client reconnects through its bootstrap";
}

void sni_router::install(SSL_CTX* ctx) const {
  SSL_CTX_set_tlsext_servername_callback(ctx, &sni_router::on_servername);
  SSL_CTX_set_tlsext_servername_arg(ctx, const_cast<sni_router*>(this));
}

void sni_router::attach(SSL* ssl, sni_verdict* v) noexcept {
  SSL_set_ex_data(ssl, verdict_index(), v);
}

void sni_router::detach(SSL* ssl) noexcept {
  SSL_set_ex_data(ssl, verdict_index(), nullptr);
}

// Runs inside the handshake, after the ClientHello is parsed (also when it had no SNI).
int sni_router::on_servername(SSL* ssl, int* alert, void* arg) {
  const auto* self = static_cast<const sni_router*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string_view sni = name ? std::string_view(name) : std::string_view();
  auto route = self->resolve(sni);
  auto* v = static_cast<sni_verdict*>(SSL_get_ex_data(ssl, verdict_index()));
  if (v && route.type == sni_route::kind::broker && v->known_node && !v->known_node(route.node_id))
    route.type = sni_route::kind::unknown_node;
  if (v) {
    v->decided = true;
    v->route = route;
    v->server_name = printable(sni);
  }
  // Only a name of the wrong shape is refused in the handshake. A broker name whose node has
  // no route yet (a client reconnecting to a cached name while this replica is still
  // discovering) completes and is closed after it: Java clients treat a handshake alert as a
  // fatal SslAuthenticationException, but retry a plain disconnect from their bootstrap.
  if (route.type == sni_route::kind::unrecognized) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  // Switching contexts here swaps the certificate the server presents (the usual way to
  // serve several certificates on one port). Without an attached verdict to hold the
  // context until the handshake ends, keep the listener's own certificate.
  if (v) {
    if (auto ctx = self->certificate_for(sni); ctx && SSL_set_SSL_CTX(ssl, ctx->native_handle()))
      v->certificate = std::move(ctx);
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace kpp::net
