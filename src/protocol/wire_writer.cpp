#include "kpp/protocol/wire_writer.h"

#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace kpp::protocol {
namespace {

template <class U>
void put_be(byte_buffer& out, U v) {
  for (std::size_t i = sizeof(U); i-- > 0;) {
    out.push_back(static_cast<std::byte>(static_cast<std::uint8_t>(v >> (8 * i))));
  }
}

// Lengths come from the proxy's own data (configured host names, copied fields); one that
// does not fit its prefix is a programming error, not a wire condition, hence an exception.
void check_fits(std::size_t n, std::size_t max, const char* what) {
  if (n > max) throw std::length_error(what);
}

}  // namespace

std::size_t uvarint_size(std::uint32_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void wire_writer::i8(std::int8_t v) {
  out_.push_back(static_cast<std::byte>(v));
}
void wire_writer::i16(std::int16_t v) {
  put_be(out_, static_cast<std::uint16_t>(v));
}
void wire_writer::u16(std::uint16_t v) {
  put_be(out_, v);
}
void wire_writer::i32(std::int32_t v) {
  put_be(out_, static_cast<std::uint32_t>(v));
}
void wire_writer::u32(std::uint32_t v) {
  put_be(out_, v);
}
void wire_writer::i64(std::int64_t v) {
  put_be(out_, static_cast<std::uint64_t>(v));
}
void wire_writer::boolean(bool v) {
  out_.push_back(v ? std::byte{1} : std::byte{0});
}

void wire_writer::uvarint(std::uint32_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<std::byte>(v));
}

void wire_writer::varint(std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  uvarint((u << 1) ^ (v < 0 ? 0xFFFFFFFFu : 0u));  // zig-zag
}

void wire_writer::varlong(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  std::uint64_t z = (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0);  // zig-zag
  while (z >= 0x80) {
    out_.push_back(static_cast<std::byte>((z & 0x7F) | 0x80));
    z >>= 7;
  }
  out_.push_back(static_cast<std::byte>(z));
}

void wire_writer::write_uuid(const uuid& v) {
  out_.insert(out_.end(), v.begin(), v.end());
}

void wire_writer::string(std::string_view s, bool flexible) {
  if (flexible) {
    check_fits(s.size(), std::numeric_limits<std::uint32_t>::max() - 1, "compact string");
    uvarint(static_cast<std::uint32_t>(s.size() + 1));
  } else {
    check_fits(s.size(), std::numeric_limits<std::int16_t>::max(), "string");
    i16(static_cast<std::int16_t>(s.size()));
  }
  raw(as_bytes(s));
}

void wire_writer::nullable_string(std::optional<std::string_view> s, bool flexible) {
  if (s) return string(*s, flexible);
  if (flexible) {
    uvarint(0);
  } else {
    i16(-1);
  }
}

void wire_writer::bytes(bytes_view b, bool flexible) {
  if (flexible) {
    check_fits(b.size(), std::numeric_limits<std::uint32_t>::max() - 1, "compact bytes");
    uvarint(static_cast<std::uint32_t>(b.size() + 1));
  } else {
    check_fits(b.size(), std::numeric_limits<std::int32_t>::max(), "bytes");
    i32(static_cast<std::int32_t>(b.size()));
  }
  raw(b);
}

void wire_writer::nullable_bytes(std::optional<bytes_view> b, bool flexible) {
  if (b) return bytes(*b, flexible);
  if (flexible) {
    uvarint(0);
  } else {
    i32(-1);
  }
}

void wire_writer::array_length(std::optional<std::uint32_t> n, bool flexible) {
  if (!n) {
    if (flexible) {
      uvarint(0);
    } else {
      i32(-1);
    }
    return;
  }
  if (flexible) {
    check_fits(*n, std::numeric_limits<std::uint32_t>::max() - 1, "compact array");
    uvarint(*n + 1);
  } else {
    check_fits(*n, std::numeric_limits<std::int32_t>::max(), "array");
    i32(static_cast<std::int32_t>(*n));
  }
}

void wire_writer::raw(bytes_view b) {
  out_.insert(out_.end(), b.begin(), b.end());
}

void wire_writer::patch_i32(std::size_t at, std::int32_t v) {
  check_fits(at + 4, out_.size(), "patch_i32 past the end");
  const auto u = static_cast<std::uint32_t>(v);
  for (std::size_t i = 0; i < 4; ++i) {
    out_[at + i] = static_cast<std::byte>(static_cast<std::uint8_t>(u >> (8 * (3 - i))));
  }
}

}  // namespace kpp::protocol
