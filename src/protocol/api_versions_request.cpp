#include "kpp/protocol/api_versions_request.h"

#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {
namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// KIP-511's pattern for ClientSoftwareName/Version.
bool valid_software_field(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

result<byte_buffer> encode_api_versions_request_body(std::int16_t version,
                                                     std::string_view software_name,
                                                     std::string_view software_version) {
  if (version < 0 || version > api_versions_max_version) {
    return error{errc::unknown_version, 0, "api versions request version"};
  }
  byte_buffer out;
  if (version < api_versions_first_flexible) return out;  // v0-v2 have no fields
  if (!valid_software_field(software_name)) {
    return error{errc::invalid_value, 0, "client_software_name"};
  }
  if (!valid_software_field(software_version)) {
    return error{errc::invalid_value, 0, "client_software_version"};
  }
  wire_writer w{out};
  w.string(software_name, true);
  w.string(software_version, true);
  write_tagged_count(w, 0);
  return out;
}

}  // namespace kpp::protocol
