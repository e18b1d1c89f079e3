// libFuzzer target for the SASL codecs: SaslHandshake v0-1 and SaslAuthenticate v0-2,
// requests and responses. First byte: message kind (high nibble: 0 handshake request,
// 1 handshake response, 2 authenticate request, 3 authenticate response) and version (low
// nibble). Seeds: tests/fuzz/corpus/sasl/ (the golden vectors of sasl_messages_test.cpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "kpp/protocol/sasl_authenticate.h"
#include "kpp/protocol/sasl_handshake.h"

namespace {

using namespace kpp::protocol;

void check(bool invariant) {
  if (!invariant) std::abort();
}

// A view returned by a decoder lies inside the input.
void inside(bytes_view in, const void* p, std::size_t n) {
  if (n == 0) return;
  const auto* b = static_cast<const std::byte*>(p);
  check(b >= in.data() && b + n <= in.data() + in.size());
}

// Decode, re-encode, decode again: the second decode equals the first (views compared by
// content), and a failed decode points inside the input.
template <class Decode, class Encode, class Same>
void round_trip(bytes_view in, std::int16_t v, Decode decode, Encode encode, Same same) {
  const auto first = decode(in, v);
  if (!first) {
    check(first.error().offset <= in.size());
    return;
  }
  byte_buffer out;
  check(encode(*first, v, out).has_value());
  check(out.size() <= in.size());  // dropped tags and shortest varints only shrink it
  const auto second = decode(out, v);
  check(second.has_value() && same(*first, *second));
}

bool eq(bytes_view a, bytes_view b) {
  return a.size() == b.size() && (a.empty() || std::equal(a.begin(), a.end(), b.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = data[0] >> 4;
  const auto v = static_cast<std::int16_t>(data[0] & 0x0f);
  const bytes_view in{reinterpret_cast<const std::byte*>(data + 1), size - 1};
  switch (kind) {
    case 0:
      round_trip(in, v, decode_sasl_handshake_request, encode_sasl_handshake_request,
                 [&](const auto& a, const auto& b) {
                   inside(in, a.mechanism.data(), a.mechanism.size());
                   return a.mechanism == b.mechanism;
                 });
      break;
    case 1:
      round_trip(in, v, decode_sasl_handshake_response, encode_sasl_handshake_response,
                 [&](const auto& a, const auto& b) {
                   for (const auto m : a.mechanisms) inside(in, m.data(), m.size());
                   return a.error_code == b.error_code && a.mechanisms == b.mechanisms;
                 });
      break;
    case 2:
      round_trip(in, v, decode_sasl_authenticate_request, encode_sasl_authenticate_request,
                 [&](const auto& a, const auto& b) {
                   inside(in, a.auth_bytes.data(), a.auth_bytes.size());
                   return eq(a.auth_bytes, b.auth_bytes);
                 });
      break;
    case 3:
      round_trip(in, v, decode_sasl_authenticate_response, encode_sasl_authenticate_response,
                 [&](const auto& a, const auto& b) {
                   inside(in, a.auth_bytes.data(), a.auth_bytes.size());
                   return a.error_code == b.error_code && a.error_message == b.error_message &&
                          eq(a.auth_bytes, b.auth_bytes) &&
                          a.session_lifetime_ms == b.session_lifetime_ms;
                 });
      break;
    default:
      break;
  }
  return 0;
}
