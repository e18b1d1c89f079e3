#include "kpp/protocol/metadata_request.h"

#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {

result<byte_buffer> encode_metadata_request_body(std::int16_t version) {
  if (version < metadata_request_min_version || version > metadata_request_max_version) {
    return error{errc::unknown_version, 0, "metadata request version"};
  }
  const bool flexible = version >= 9;  // KIP-482
  byte_buffer out;
  wire_writer w(out);
  // Topics: empty, not null. Null (v1+) would mean all topics; empty means none (v1+), and
  // at v0, where null does not exist, empty is all topics (see the header).
  w.array_length(0, flexible);
  if (version >= 4) w.boolean(false);  // AllowAutoTopicCreation: never create by discovery
  if (version >= 8 && version <= 10) w.boolean(false);  // IncludeClusterAuthorizedOperations
  if (version >= 8) w.boolean(false);                   // IncludeTopicAuthorizedOperations
  if (flexible) write_tagged_count(w, 0);
  return out;
}

}  // namespace kpp::protocol
