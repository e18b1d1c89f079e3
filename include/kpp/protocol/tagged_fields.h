// Tagged-field sections (flexible versions): uvarint count, then (uvarint tag, uvarint size,
// bytes) in strictly ascending tag order. Unknown tags are kept byte for byte.
#pragma once

#include <cstdint>
#include <functional>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {

struct tagged_field {
  std::uint32_t tag;
  bytes_view data;
};

// Reads a whole section, calling visit(field) for each entry in order. Rejects
// non-ascending or duplicate tags (bad_tag_order) and sizes past the end (bad_length).
// Returns false (with the error in `r`) on failure, or when visit returns false.
bool read_tagged_fields(wire_reader& r, const std::function<bool(const tagged_field&)>& visit);

// Skips a section, validating it as read_tagged_fields does.
bool skip_tagged_fields(wire_reader& r);

// Writes a section header for n fields; the caller then writes each with write_tagged_field.
void write_tagged_count(wire_writer& w, std::uint32_t n);
void write_tagged_field(wire_writer& w, std::uint32_t tag, bytes_view data);

}  // namespace kpp::protocol
