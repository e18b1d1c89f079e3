// libFuzzer target for what a client can send before it is authenticated: the server-side
// SASL login (SaslHandshake + SaslAuthenticate bodies through sasl_server_session, hence the
// SCRAM and PLAIN parsers), and the client-side parsers of server messages.
// Input: first byte = mechanism (low 2 bits: 0 PLAIN, 1 SCRAM-SHA-256, 2 SCRAM-SHA-512) and
// SaslAuthenticate version (bits 2-3); the rest = SASL tokens separated by 0xff.
// Seeds: tests/fuzz/corpus/sasl_server/ (see the README there).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpp/auth/plain.h"
#include "kpp/auth/sasl_server_session.h"
#include "kpp/auth/scram_keys.h"
#include "kpp/auth/scram_messages.h"
#include "kpp/protocol/api_table.h"
#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"

namespace {

using namespace kpp;

void check(bool invariant) {
  if (!invariant) std::abort();
}

const auth::scram_credential& credential(auth::mechanism m) {
  // Computed once: the lookup runs on every input.
  static const auto sha256 =
      *auth::make_scram_credential(auth::mechanism::scram_sha_256, "secret", "salt", 4096);
  static const auto sha512 =
      *auth::make_scram_credential(auth::mechanism::scram_sha_512, "secret", "salt", 4096);
  return m == auth::mechanism::scram_sha_256 ? sha256 : sha512;
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  while (out.size() < 4) {
    const auto sep = s.find('\xff');
    out.push_back(s.substr(0, sep));
    if (sep == std::string_view::npos) break;
    s.remove_prefix(sep + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auth::mechanism mechs[] = {auth::mechanism::plain, auth::mechanism::scram_sha_256,
                                   auth::mechanism::scram_sha_512, auth::mechanism::plain};
  const auto mech = mechs[data[0] & 3];
  const auto version = static_cast<std::int16_t>((data[0] >> 2) & 3);
  const std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};

  // The parsers on their own: total on any input.
  (void)auth::parse_client_first(rest);
  (void)auth::parse_client_final(rest);
  (void)auth::parse_server_first(rest);
  (void)auth::parse_server_final(rest);
  (void)auth::parse_plain(rest);
  (void)auth::unescape_saslname(rest);

  const auth::credential_lookup lookup =
      [](std::string_view name, auth::mechanism m) -> std::optional<auth::scram_credential> {
    if (name != "admin") return std::nullopt;
    return credential(m == auth::mechanism::plain ? auth::mechanism::scram_sha_512 : m);
  };
  auth::sasl_server_session session{
      {{auth::mechanism::plain, auth::mechanism::scram_sha_256, auth::mechanism::scram_sha_512},
       1000,
       version & 1 ? "decoy" : "",
       4096},
      lookup,
      "fixed-server-nonce"};
  protocol::byte_buffer hs;
  check(protocol::encode_sasl_handshake_request({auth::name(mech)}, 1, hs).has_value());
  auto reply = session.on_request(protocol::api_key::sasl_handshake, 1, hs);
  check(reply.has_value() && !reply->outcome);

  for (const auto token : tokens(rest)) {
    protocol::byte_buffer body;
    if (version > protocol::sasl_authenticate_max_version) return 0;
    check(protocol::encode_sasl_authenticate_request({protocol::as_bytes(token)}, version, body)
              .has_value());
    auto r = session.on_request(protocol::api_key::sasl_authenticate, version, body);
    if (!r) return 0;  // out of order after the end: the caller closes
    const auto resp = protocol::decode_sasl_authenticate_response(r->body, version);
    check(resp.has_value());
    if (r->outcome == auth::login_outcome::success) {
      // Only the right password can succeed; a forged SCRAM proof is out of a fuzzer's reach.
      check(r->principal == "admin" && resp->error_code == 0);
      if (mech == auth::mechanism::plain) check(token.ends_with(std::string_view("\0secret", 7)));
      check(!auth::is_scram(mech));
    }
    if (r->outcome && *r->outcome != auth::login_outcome::success) {
      check(resp->error_code != 0);
    }
    if (r->outcome) return 0;
  }
  return 0;
}
