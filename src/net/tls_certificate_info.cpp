// What a certificate says about itself: its expiry (a metric) and which advertised names it
// covers (a start-up warning for each name it does not; `check --through` for the certificate
// a listener presents).
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <ctime>

#include "kpp/net/tls_context.h"

namespace kpp::net {

std::optional<std::int64_t> certificate_not_after(const X509* cert) {
  if (!cert) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<std::int64_t> certificate_not_after(const ssl::context& ctx) {
  return certificate_not_after(
      SSL_CTX_get0_certificate(const_cast<ssl::context&>(ctx).native_handle()));
}

std::vector<std::string> uncovered_names(const X509* cert, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  // OpenSSL's checks take a non-const certificate but do not change it.
  auto* c = const_cast<X509*>(cert);
  for (const auto& name : names) {
    unsigned char buf[16];
    const bool ip =
        inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
    const int ok = !c   ? 0
                   : ip ? X509_check_ip_asc(c, name.c_str(), 0)
                        : X509_check_host(c, name.data(), name.size(),
                                          X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
    if (ok != 1) out.push_back(name);
  }
  return out;
}

std::vector<std::string> uncovered_names(const ssl::context& ctx,
                                         const std::vector<std::string>& names) {
  return uncovered_names(SSL_CTX_get0_certificate(const_cast<ssl::context&>(ctx).native_handle()),
                         names);
}

}  // namespace kpp::net
