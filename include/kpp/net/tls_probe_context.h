// `check --through`: the client side of a handshake with one of the proxy's own TLS listeners,
// made the way its clients would make it, but trusting what the config says the listener
// presents: every certificate in the listener's configured chain files counts as a trust anchor
// (X509_V_FLAG_PARTIAL_CHAIN, so a self-signed or private-CA leaf verifies without its root),
// and the system trust store too. Trust, validity dates and the TLS parameters fail the
// handshake as they would for a client; a name the certificate does not cover does not: the
// check reports the names on its own (uncovered_names on the peer certificate), next to the
// handshake result.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kpp/net/tls_context.h"
#include "kpp/net/tls_context_store.h"

namespace kpp::net {

// `cert_files`: the listener's certificate chain files (tls.cert_file, and with routing: sni
// each sni.certificates entry). Read once; never refreshed (a check runs once).
[[nodiscard]] tls_loaded<std::shared_ptr<tls_context_store>> listener_probe_store(
    const std::vector<std::string>& cert_files, tls_version min_version);

// The peer certificate of a client handshake that completed, or null.
[[nodiscard]] const X509* peer_certificate(const SSL* ssl) noexcept;

}  // namespace kpp::net
