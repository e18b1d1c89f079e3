#include "kpp/protocol/sasl_authenticate.h"

#include <limits>

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"
#include "strict_reads.h"

namespace kpp::protocol {
namespace {

bool known(std::int16_t version) {
  return version >= 0 && version <= sasl_authenticate_max_version;
}

error bad_version() {
  return error{errc::unknown_version, 0, "sasl authenticate version"};
}

// Classic bytes carry an int32 length, compact ones a uvarint of length+1.
bool fits_bytes(bytes_view b, bool flexible) {
  const std::size_t max = flexible ? std::numeric_limits<std::uint32_t>::max() - 1
                                   : std::numeric_limits<std::int32_t>::max();
  return b.size() <= max;
}

bool end_of_body(wire_reader& r, bool flexible) {
  if (flexible) skip_tagged_fields(r);
  return r.expect_end();
}

}  // namespace

result<sasl_authenticate_request> decode_sasl_authenticate_request(bytes_view body,
                                                                   std::int16_t version) {
  if (!known(version)) return bad_version();
  const bool flexible = version >= sasl_authenticate_first_flexible;
  wire_reader r{body};
  sasl_authenticate_request req;
  req.auth_bytes = r.bytes(flexible, "auth_bytes");
  if (!end_of_body(r, flexible)) return r.err();
  return req;
}

result<sasl_authenticate_response> decode_sasl_authenticate_response(bytes_view body,
                                                                     std::int16_t version) {
  if (!known(version)) return bad_version();
  const bool flexible = version >= sasl_authenticate_first_flexible;
  wire_reader r{body};
  sasl_authenticate_response resp;
  resp.error_code = r.i16("error_code");
  resp.error_message = r.nullable_string(flexible, "error_message");
  resp.auth_bytes = r.bytes(flexible, "auth_bytes");
  if (version >= 1) resp.session_lifetime_ms = r.i64("session_lifetime_ms");
  if (!end_of_body(r, flexible)) return r.err();
  return resp;
}

status encode_sasl_authenticate_request(const sasl_authenticate_request& req, std::int16_t version,
                                        byte_buffer& out) {
  if (!known(version)) return bad_version();
  const bool flexible = version >= sasl_authenticate_first_flexible;
  if (!fits_bytes(req.auth_bytes, flexible)) return error{errc::invalid_value, 0, "auth_bytes"};
  wire_writer w{out};
  w.bytes(req.auth_bytes, flexible);
  if (flexible) write_tagged_count(w, 0);
  return ok_t{};
}

status encode_sasl_authenticate_response(const sasl_authenticate_response& resp,
                                         std::int16_t version, byte_buffer& out) {
  if (!known(version)) return bad_version();
  const bool flexible = version >= sasl_authenticate_first_flexible;
  if (!detail::fits(resp.error_message, flexible)) {
    return error{errc::invalid_value, 0, "error_message"};
  }
  if (!fits_bytes(resp.auth_bytes, flexible)) return error{errc::invalid_value, 0, "auth_bytes"};
  wire_writer w{out};
  w.i16(resp.error_code);
  w.nullable_string(resp.error_message, flexible);
  w.bytes(resp.auth_bytes, flexible);
  if (version >= 1) w.i64(resp.session_lifetime_ms);
  if (flexible) write_tagged_count(w, 0);
  return ok_t{};
}

}  // namespace kpp::protocol
