#include "kpp/protocol/sasl_handshake.h"

#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"
#include "strict_reads.h"

namespace kpp::protocol {
namespace {

bool known(std::int16_t version) {
  return version >= 0 && version <= sasl_handshake_max_version;
}

error bad_version() {
  return error{errc::unknown_version, 0, "sasl handshake version"};
}

}  // namespace

result<sasl_handshake_request> decode_sasl_handshake_request(bytes_view body,
                                                             std::int16_t version) {
  if (!known(version)) return bad_version();
  wire_reader r{body};
  sasl_handshake_request req;
  req.mechanism = r.string(false, "mechanism");
  if (!r.expect_end()) return r.err();
  return req;
}

result<sasl_handshake_response> decode_sasl_handshake_response(bytes_view body,
                                                               std::int16_t version) {
  if (!known(version)) return bad_version();
  wire_reader r{body};
  sasl_handshake_response resp;
  resp.error_code = r.i16("error_code");
  // Each entry is at least an int16 length; the count is checked against what remains.
  const auto n = r.array_length(false, 2, "mechanisms");
  if (!r.ok()) return r.err();
  resp.mechanisms.reserve(*n);
  for (std::uint32_t i = 0; i < *n && r.ok(); ++i) {
    resp.mechanisms.push_back(r.string(false, "mechanisms[]"));
  }
  if (!r.expect_end()) return r.err();
  return resp;
}

status encode_sasl_handshake_request(const sasl_handshake_request& req, std::int16_t version,
                                     byte_buffer& out) {
  if (!known(version)) return bad_version();
  if (!detail::fits(req.mechanism, false)) return error{errc::invalid_value, 0, "mechanism"};
  wire_writer w{out};
  w.string(req.mechanism, false);
  return ok_t{};
}

status encode_sasl_handshake_response(const sasl_handshake_response& resp, std::int16_t version,
                                      byte_buffer& out) {
  if (!known(version)) return bad_version();
  for (const auto m : resp.mechanisms) {
    if (!detail::fits(m, false)) return error{errc::invalid_value, 0, "mechanisms[]"};
  }
  wire_writer w{out};
  w.i16(resp.error_code);
  w.array_length(static_cast<std::uint32_t>(resp.mechanisms.size()), false);
  for (const auto m : resp.mechanisms) w.string(m, false);
  return ok_t{};
}

}  // namespace kpp::protocol
