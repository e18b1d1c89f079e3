#include "kpp/protocol/response_header.h"

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::protocol {

result<response_header> decode_response_header(bytes_view payload, std::int16_t header_version) {
  if (header_version != 0 && header_version != 1) {
    return error{errc::unknown_version, 0, "response header version"};
  }
  wire_reader r{payload};
  response_header h;
  h.correlation_id = r.i32("correlation_id");
  // Header v1 (flexible responses, KIP-482) adds a tagged section; none is defined today,
  // but a broker may send unknown tags, which are skipped after validation.
  if (header_version == 1) skip_tagged_fields(r);
  if (!r.ok()) return r.err();
  h.size = r.offset();
  return h;
}

}  // namespace kpp::protocol
