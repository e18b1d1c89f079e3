#include "kpp/protocol/request_header.h"

#include <stdexcept>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {
namespace {

// Reads the header from `r`, which must be at the start of the payload.
result<request_header> read_header(wire_reader& r) {
  request_header h;
  h.api_key = r.i16("request_api_key");
  h.api_version = r.i16("request_api_version");
  h.correlation_id = r.i32("correlation_id");
  if (!r.ok()) return r.err();
  auto version = request_header_version(h.api_key, h.api_version);
  if (!version) return version.error();
  h.header_version = *version;
  if (h.header_version >= 1) {
    // The client id stays a classic (int16) nullable string even in header v2: it is
    // declared with flexibleVersions "none" so brokers can read it before knowing the API.
    h.client_id = r.nullable_string(/*flexible=*/false, "client_id");
  }
  if (h.header_version >= 2) skip_tagged_fields(r);
  if (!r.ok()) return r.err();
  h.size = r.offset();
  return h;
}

}  // namespace

result<request_prefix> decode_request_prefix(bytes_view payload) {
  wire_reader r{payload};
  request_prefix p{};
  p.api_key = r.i16("request_api_key");
  p.api_version = r.i16("request_api_version");
  p.correlation_id = r.i32("correlation_id");
  if (!r.ok()) return r.err();
  return p;
}

result<request_header> decode_request_header(bytes_view payload) {
  wire_reader r{payload};
  return read_header(r);
}

result<std::int16_t> decode_produce_acks(bytes_view payload) {
  wire_reader r{payload};
  auto h = read_header(r);
  if (!h) return h.error();
  if (h->api_key != api_key::produce) return error{errc::invalid_value, 0, "request_api_key"};
  // Produce v3+ starts with TransactionalId (KIP-98), compact from the first flexible
  // version (v9, KIP-482); acks follows it.
  if (h->api_version >= 3) {
    const bool flexible = is_flexible(*find_api(api_key::produce), h->api_version);
    (void)r.nullable_string(flexible, "transactional_id");
  }
  const std::int16_t acks = r.i16("acks");
  if (!r.ok()) return r.err();
  return acks;
}

void encode_request_frame(byte_buffer& out, std::int16_t api_key, std::int16_t api_version,
                          std::int32_t correlation_id, std::string_view client_id,
                          bytes_view body) {
  auto version = request_header_version(api_key, api_version);
  // The proxy encodes only requests it chose itself: an unknown one is a programming error.
  if (!version) throw std::invalid_argument("encode_request_frame: " + version.error().describe());
  wire_writer w{out};
  const std::size_t size_at = w.size();
  w.i32(0);  // patched below
  w.i16(api_key);
  w.i16(api_version);
  w.i32(correlation_id);
  if (*version >= 1) w.string(client_id, /*flexible=*/false);
  if (*version >= 2) write_tagged_count(w, 0);
  w.raw(body);
  const std::size_t payload = w.size() - size_at - 4;
  if (payload > static_cast<std::size_t>(INT32_MAX)) {
    throw std::length_error("encode_request_frame: frame too large");
  }
  w.patch_i32(size_at, static_cast<std::int32_t>(payload));
}

}  // namespace kpp::protocol
