#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include "kpp/net/tls_context.h"
#include "tls_pem.h"

namespace kpp::net {
namespace {

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

std::vector<std::string> watched_files(const tls_client_settings& s) {
  std::vector<std::string> out;
  for (const auto* p : {&s.ca_file, &s.cert_file, &s.key_file, &s.key_password.file})
    if (!p->empty()) out.push_back(*p);
  return out;
}

tls_loaded<context_ptr> make_client_context(const tls_client_settings& s,
                                            const tls_file_snapshot& files) {
  tls_loaded<context_ptr> out;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* h = ctx->native_handle();
  detail::apply_common(h, s.min_version);
  auto fail = [&](tls_load_failure f) {
    out.failure = std::move(f);
    return out;
  };
  if (!s.ca_file.empty())
    if (auto f = detail::add_ca_bundle(h, s.ca_file, files, "upstream CA", false)) return fail(*f);
  if (s.system_pool || s.ca_file.empty()) {
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);  // a missing system store shows as unknown_ca later
  }
  if (!s.cert_file.empty())
    if (auto f = detail::use_cert_and_key(h, s.cert_file, s.key_file, s.key_password, files,
                                          "upstream client certificate"))
      return fail(*f);
  ctx->set_verify_mode(s.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  out.value = std::move(ctx);
  return out;
}

bool prepare_client_ssl(SSL* ssl, const tls_client_settings& s, const std::string& host) {
  const std::string& name = s.server_name.empty() ? host : s.server_name;
  const bool ip = is_ip_literal(name);
  // RFC 6066: SNI carries host names only, never an IP literal.
  if (!ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  if (s.insecure_skip_verify || name.empty()) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, name.c_str()) == 1;
}

}  // namespace kpp::net
