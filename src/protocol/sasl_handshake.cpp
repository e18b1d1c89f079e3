#include "kpp/protocol/sasl_handshake.h"

#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {

result<byte_buffer> encode_sasl_handshake_request_body(std::int16_t version,
                                                       std::string_view mechanism) {
  if (version < 0 || version > sasl_handshake_max_version)
    return error{errc::unknown_version, 0, "sasl handshake request version"};
  byte_buffer out;
  wire_writer w{out};
  w.string(mechanism, false);
  return out;
}

result<sasl_handshake_response> decode_sasl_handshake_response(bytes_view body,
                                                               std::int16_t version) {
  if (version < 0 || version > sasl_handshake_max_version)
    return error{errc::unknown_version, 0, "sasl handshake response version"};
  wire_reader r{body};
  sasl_handshake_response out;
  out.error_code = r.i16("error_code");
  // A string is at least its 2-byte length.
  auto count = r.array_length(false, 2, "mechanisms");
  if (r.ok() && count) {
    out.mechanisms.reserve(*count);
    for (std::uint32_t i = 0; i < *count && r.ok(); ++i)
      out.mechanisms.push_back(r.string(false, "mechanisms[]"));
  }
  r.expect_end();
  if (!r.ok()) return r.err();
  return out;
}

}  // namespace kpp::protocol
