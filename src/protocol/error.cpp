#include "kpp/protocol/error.h"

#include <string>

namespace kpp::protocol {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::truncated:
      return "truncated";
    case errc::negative_length:
      return "negative length";
    case errc::bad_length:
      return "bad length";
    case errc::varint_overflow:
      return "varint overflow";
    case errc::trailing_bytes:
      return "trailing bytes";
    case errc::unknown_api_key:
      return "unknown api key";
    case errc::unknown_version:
      return "unknown version";
    case errc::bad_tag_order:
      return "bad tag order";
    case errc::invalid_value:
      return "invalid value";
    case errc::unmapped_node:
      return "unmapped node";
  }
  return "unknown error";  // a value cast from outside the enum
}

std::string error::describe() const {
  std::string out{to_string(code)};
  out += " at offset ";
  out += std::to_string(offset);
  if (!field.empty()) {
    out += " reading ";
    out += field;
  }
  return out;
}

}  // namespace kpp::protocol
