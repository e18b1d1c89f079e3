#include "kpp/protocol/tagged_fields.h"

#include <cstdint>
#include <stdexcept>

namespace kpp::protocol {

bool read_tagged_fields(wire_reader& r, const std::function<bool(const tagged_field&)>& visit) {
  if (!r.ok()) return false;
  const std::size_t count_at = r.offset();
  const std::uint32_t count = r.uvarint("tagged fields count");
  if (!r.ok()) return false;
  // Each entry is at least a 1-byte tag and a 1-byte size.
  if (count > r.remaining() / 2) {
    return r.fail_at(errc::bad_length, count_at, "tagged fields count");
  }
  std::uint32_t prev = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t tag_at = r.offset();
    const std::uint32_t tag = r.uvarint("tagged field tag");
    if (!r.ok()) return false;
    // KIP-482: tags are written in strictly ascending order, each at most once.
    if (i > 0 && tag <= prev) return r.fail_at(errc::bad_tag_order, tag_at, "tagged field tag");
    prev = tag;
    const std::size_t size_at = r.offset();
    const std::uint32_t size = r.uvarint("tagged field size");
    if (!r.ok()) return false;
    if (size > r.remaining()) {
      return r.fail_at(errc::bad_length, size_at, "tagged field size");
    }
    const bytes_view data = r.raw(size, "tagged field data");
    if (!visit(tagged_field{tag, data})) return false;
  }
  return r.ok();
}

bool skip_tagged_fields(wire_reader& r) {
  return read_tagged_fields(r, [](const tagged_field&) { return true; });
}

void write_tagged_count(wire_writer& w, std::uint32_t n) {
  w.uvarint(n);
}

void write_tagged_field(wire_writer& w, std::uint32_t tag, bytes_view data) {
  w.uvarint(tag);
  // The size is a plain uvarint (not N+1): an empty field has size 0.
  if (data.size() > UINT32_MAX) throw std::length_error("tagged field too large");
  w.uvarint(static_cast<std::uint32_t>(data.size()));
  w.raw(data);
}

}  // namespace kpp::protocol
