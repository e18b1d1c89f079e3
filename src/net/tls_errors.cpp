#include "kpp/net/tls_errors.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace kpp::net {
namespace {

using cause = tls_handshake_cause;

tls_handshake_failure make(cause c, tls_leg leg, std::string_view peer, std::string_view what,
                           std::string_view fix) {
  std::string m = "TLS handshake with ";
  m += leg == tls_leg::client ? "client " : "broker ";
  m += peer;
  m += " failed: ";
  m += what;
  if (!fix.empty()) {
    m += "; ";
    m += fix;
  }
  return {c, std::move(m)};
}

// Our own verification of the peer's certificate failed: the verify result says why.
tls_handshake_failure from_verify_result(long v, tls_leg leg, std::string_view peer) {
  const bool up = leg == tls_leg::upstream;
  const std::string detail = X509_verify_cert_error_string(v);
  switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return make(cause::unknown_ca, leg, peer,
                  (up ? "the broker's certificate is not signed by a trusted CA ("
                      : "the client certificate is not signed by the client CA (") +
                      detail + ")",
                  up ? "set upstream.tls.ca_file to the CA that signed the broker certificates"
                     : "check tls.client_ca_file");
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return make(
          cause::cert_expired, leg, peer,
          up ? "the broker's certificate has expired" : "the client certificate has expired",
          "renew it");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return make(cause::cert_not_yet_valid, leg, peer,
                  up ? "the broker's certificate is not valid yet"
                     : "the client certificate is not valid yet",
                  "check its notBefore and the clocks");
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return make(cause::name_mismatch, leg, peer,
                  "the broker's certificate does not name this host or IP in its SAN",
                  "set upstream.tls.server_name to a name the certificate holds, or reissue "
                  "the certificate with this name");
    case X509_V_ERR_CERT_REVOKED:
      return make(cause::cert_revoked, leg, peer, "the certificate is revoked (listed in the CRL)",
                  "");
    case X509_V_ERR_APPLICATION_VERIFICATION:
      return make(cause::client_subject_denied, leg, peer,
                  "the client certificate's subject is not in tls.allowed_client_subjects", "");
    default:
      return make(cause::other, leg, peer, "certificate verification failed: " + detail, "");
  }
}

}  // namespace

std::string_view to_string(tls_load_error e) noexcept {
  switch (e) {
    case tls_load_error::file_unreadable:
      return "file_unreadable";
    case tls_load_error::bad_certificate:
      return "bad_certificate";
    case tls_load_error::bad_key:
      return "bad_key";
    case tls_load_error::key_mismatch:
      return "key_mismatch";
    case tls_load_error::bad_ca:
      return "bad_ca";
    case tls_load_error::bad_crl:
      return "bad_crl";
    case tls_load_error::unknown_cipher:
      return "unknown_cipher";
    case tls_load_error::unknown_curve:
      return "unknown_curve";
    case tls_load_error::bad_password_file:
      return "bad_password_file";
  }
  return "unknown";
}

tls_handshake_failure classify_handshake_error(const boost::system::error_code& ec, const SSL* ssl,
                                               tls_leg leg, std::string_view peer) {
  namespace aerr = boost::asio::error;
  const bool up = leg == tls_leg::upstream;
  if (ec == aerr::operation_aborted || ec == aerr::timed_out)
    return make(cause::timeout, leg, peer, "no handshake within the deadline", "");

  const bool no_server_bytes = up && ssl != nullptr && SSL_get0_peer_certificate(ssl) == nullptr;
  const std::string not_tls =
      "the broker did not answer with TLS: it is probably a PLAINTEXT listener; disable "
      "upstream.tls or point bootstrap.servers at the broker's SSL listener";
  if (ec == aerr::eof || ec == aerr::connection_reset ||
      ec == boost::asio::ssl::error::stream_truncated) {
    if (no_server_bytes)
      return make(cause::plaintext_upstream, leg, peer, "connection closed", not_tls);
    return make(cause::other, leg, peer, "the peer closed the connection", "");
  }
  if (ec.category() != aerr::get_ssl_category())
    return make(cause::other, leg, peer, ec.message(), "");

  const auto code = static_cast<unsigned long>(ec.value());
  const int reason = ERR_GET_REASON(code);
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return from_verify_result(ssl ? SSL_get_verify_result(ssl) : X509_V_OK, leg, peer);
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return make(cause::client_cert_missing, leg, peer, "the client sent no certificate",
                  "tls.client_auth is require: configure the client's ssl.certificate.location");
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return make(cause::client_cert_missing, leg, peer,
                  up ? "the broker requires a client certificate"
                     : "the client wants a certificate the proxy did not send",
                  up ? "set upstream.tls.cert_file and key_file" : "");
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return make(cause::unknown_ca, leg, peer,
                  up ? "the broker does not trust the proxy's client certificate (unknown CA)"
                     : "the client does not trust the proxy's certificate (unknown CA)",
                  up ? "have the broker trust the CA of upstream.tls.cert_file"
                     : "give the client the CA of tls.cert_file (ssl.ca.location)");
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return make(cause::cert_expired, leg, peer,
                  up ? "the broker says the proxy's client certificate has expired"
                     : "the client says the proxy's certificate has expired",
                  "renew it (the proxy reloads changed files without a restart)");
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return make(cause::cert_revoked, leg, peer, "the peer says our certificate is revoked", "");
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
      return make(cause::protocol_version, leg, peer, "no TLS version both sides accept",
                  up ? "check upstream.tls.min_version against the broker's ssl.enabled.protocols"
                     : "the client offers an older TLS version than tls.min_version");
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      // A TLS 1.2 server answers a missing client certificate with a generic handshake_failure
      // alert. Past the server's certificate, cipher negotiation is done: that is the cause.
      if (up && ssl && SSL_get0_peer_certificate(ssl) != nullptr) {
        if (SSL_get_certificate(ssl) == nullptr)
          return make(cause::client_cert_missing, leg, peer,
                      "the broker rejected the handshake after asking for a client certificate",
                      "set upstream.tls.cert_file and key_file");
        return make(cause::peer_alert, leg, peer,
                    "the broker rejected the proxy's client certificate",
                    "check that the broker trusts the CA of upstream.tls.cert_file");
      }
      [[fallthrough]];
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SHARED_GROUPS:
      return make(cause::no_shared_cipher, leg, peer, "no cipher suite or curve both sides accept",
                  up ? "check the broker's ssl.cipher.suites"
                     : "widen tls.cipher_suites / tls.curves or the client's ssl.cipher.suites");
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_HTTP_REQUEST:
      if (up)
        return make(cause::plaintext_upstream, leg, peer, "the broker sent non-TLS bytes", not_tls);
      return make(cause::plaintext_client, leg, peer, "client sent non-TLS bytes to a TLS listener",
                  "set security.protocol=SSL in the client");
    default:
      break;
  }
  if (reason >= SSL_AD_REASON_OFFSET)  // any other alert from the peer
    return make(cause::peer_alert, leg, peer, "the peer sent an alert: " + ec.message(), "");
  return make(cause::other, leg, peer, ec.message(), "");
}

std::optional<tls_handshake_failure> classify_tls_listener_head(protocol::bytes_view head,
                                                                std::string_view peer) {
  if (head.empty() || head[0] == std::byte{0x16}) return std::nullopt;
  // A Kafka frame: int32 size (below 16 MiB for any request a client sends first, so the
  // first byte is 0), then int16 api key.
  if (head[0] == std::byte{0x00}) {
    std::string m = "client ";
    m += peer;
    m += " sent a plaintext Kafka request to a TLS listener; set security.protocol=SSL";
    return tls_handshake_failure{cause::plaintext_client, std::move(m)};
  }
  std::string m = "client ";
  m += peer;
  m += " sent bytes that are neither TLS nor Kafka to a TLS listener";
  return tls_handshake_failure{cause::plaintext_client, std::move(m)};
}

}  // namespace kpp::net
