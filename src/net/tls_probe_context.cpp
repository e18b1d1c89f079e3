#include "kpp/net/tls_probe_context.h"

#include <openssl/x509_vfy.h>

#include "tls_pem.h"

namespace kpp::net {
namespace {

// Lets the handshake complete when only the host name (or IP) check failed; every other
// verification error stays fatal.
int ignore_name_mismatch(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok) return 1;
  const int err = X509_STORE_CTX_get_error(store);
  return err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH ? 1 : 0;
}

}  // namespace

tls_loaded<std::shared_ptr<tls_context_store>> listener_probe_store(
    const std::vector<std::string>& cert_files, tls_version min_version) {
  auto build = [cert_files, min_version](const tls_file_snapshot& files) {
    tls_loaded<context_ptr> out;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* h = ctx->native_handle();
    detail::apply_common(h, min_version);
    for (const auto& f : cert_files)
      if (auto failure = detail::add_ca_bundle(h, f, files, "listener certificate", false)) {
        out.failure = std::move(failure);
        return out;
      }
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);  // a missing system store shows as unknown_ca later
    X509_STORE_set_flags(SSL_CTX_get_cert_store(h), X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(h, SSL_VERIFY_PEER, &ignore_name_mismatch);
    out.value = std::move(ctx);
    return out;
  };
  return tls_context_store::create("check", cert_files, std::move(build), nullptr);
}

const X509* peer_certificate(const SSL* ssl) noexcept {
  return ssl ? SSL_get0_peer_certificate(ssl) : nullptr;
}

}  // namespace kpp::net
