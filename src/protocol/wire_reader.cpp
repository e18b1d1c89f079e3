#include "kpp/protocol/wire_reader.h"

#include <bit>
#include <cstring>

namespace kpp::protocol {

bytes_view wire_reader::since(std::size_t from) const noexcept {
  if (from > pos_) return {};
  return buf_.subspan(from, pos_ - from);
}

bool wire_reader::fail(errc code, std::string_view field) noexcept {
  return fail_at(code, pos_, field);
}

bool wire_reader::fail_at(errc code, std::size_t at, std::string_view field) noexcept {
  if (!failed_) {
    failed_ = true;
    err_ = error{code, at, field};
    // Nothing of a failed field counts as consumed: offset() then agrees with err().offset.
    if (at <= buf_.size()) pos_ = at;
  }
  return false;
}

bool wire_reader::enough(std::size_t n, std::string_view field) noexcept {
  if (failed_) return false;
  if (n > remaining()) return fail(errc::truncated, field);
  return true;
}

bool wire_reader::expect_end(std::string_view field) noexcept {
  if (failed_) return false;
  if (remaining() != 0) return fail(errc::trailing_bytes, field);
  return true;
}

// Big-endian unsigned read of n <= 8 bytes; the position does not move on failure, so the
// recorded offset is where the field starts.
std::uint64_t wire_reader::be(std::size_t n, std::string_view field) noexcept {
  if (!enough(n, field)) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(buf_[pos_ + i]);
  }
  pos_ += n;
  return v;
}

std::int8_t wire_reader::i8(std::string_view field) noexcept {
  return static_cast<std::int8_t>(be(1, field));
}
std::int16_t wire_reader::i16(std::string_view field) noexcept {
  return static_cast<std::int16_t>(be(2, field));
}
std::uint16_t wire_reader::u16(std::string_view field) noexcept {
  return static_cast<std::uint16_t>(be(2, field));
}
std::int32_t wire_reader::i32(std::string_view field) noexcept {
  return static_cast<std::int32_t>(be(4, field));
}
std::uint32_t wire_reader::u32(std::string_view field) noexcept {
  return static_cast<std::uint32_t>(be(4, field));
}
std::int64_t wire_reader::i64(std::string_view field) noexcept {
  return static_cast<std::int64_t>(be(8, field));
}
double wire_reader::f64(std::string_view field) noexcept {
  return std::bit_cast<double>(be(8, field));
}
// Kafka's BOOLEAN: 0 is false, any other byte is true (the Java reader does `!= 0`).
bool wire_reader::boolean(std::string_view field) noexcept {
  return be(1, field) != 0;
}

std::uint32_t wire_reader::uvarint(std::string_view field) noexcept {
  if (failed_) return 0;
  const std::size_t start = pos_;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    if (start + i >= buf_.size()) {
      fail_at(errc::truncated, start, field);
      return 0;
    }
    const auto b = static_cast<std::uint8_t>(buf_[start + i]);
    // The 5th byte carries bits 28..31 only: anything above (or a continuation) would not
    // fit a uint32.
    if (i == 4 && b > 0x0F) {
      fail_at(errc::varint_overflow, start, field);
      return 0;
    }
    v |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      pos_ = start + i + 1;
      return v;
    }
  }
  return v;  // not reached: the 5th byte either ends the varint or overflows
}

std::int32_t wire_reader::varint(std::string_view field) noexcept {
  const std::uint32_t z = uvarint(field);
  return static_cast<std::int32_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::int64_t wire_reader::varlong(std::string_view field) noexcept {
  if (failed_) return 0;
  const std::size_t start = pos_;
  std::uint64_t z = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (start + i >= buf_.size()) {
      fail_at(errc::truncated, start, field);
      return 0;
    }
    const auto b = static_cast<std::uint8_t>(buf_[start + i]);
    // The 10th byte carries bit 63 only.
    if (i == 9 && b > 0x01) {
      fail_at(errc::varint_overflow, start, field);
      return 0;
    }
    z |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      pos_ = start + i + 1;
      return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
  }
  return 0;  // not reached
}

uuid wire_reader::read_uuid(std::string_view field) noexcept {
  uuid u{};
  if (!enough(u.size(), field)) return u;
  std::memcpy(u.data(), buf_.data() + pos_, u.size());
  pos_ += u.size();
  return u;
}

std::int64_t wire_reader::length_prefix(bool flexible, bool wide, std::string_view field) noexcept {
  if (failed_) return -2;
  const std::size_t start = pos_;
  std::int64_t len = 0;
  if (flexible) {
    len = static_cast<std::int64_t>(uvarint(field)) - 1;  // compact: N+1, 0 = null
  } else {
    len = wide ? i32(field) : i16(field);
  }
  if (failed_) return -2;
  if (len < -1) {
    fail_at(errc::negative_length, start, field);
    return -2;
  }
  return len;
}

bytes_view wire_reader::body(std::int64_t len, std::size_t start, std::string_view field) noexcept {
  if (static_cast<std::uint64_t>(len) > remaining()) {
    fail_at(errc::bad_length, start, field);
    return {};
  }
  const auto n = static_cast<std::size_t>(len);
  bytes_view v = buf_.subspan(pos_, n);
  pos_ += n;
  return v;
}

std::string_view wire_reader::string(bool flexible, std::string_view field) noexcept {
  const std::size_t start = pos_;
  const auto s = nullable_string(flexible, field);
  if (s) return *s;
  if (!failed_) fail_at(errc::negative_length, start, field);  // null where not allowed
  return {};
}

std::optional<std::string_view> wire_reader::nullable_string(bool flexible,
                                                             std::string_view field) noexcept {
  const std::size_t start = pos_;
  const std::int64_t len = length_prefix(flexible, false, field);
  if (len < 0) return std::nullopt;
  const bytes_view b = body(len, start, field);
  if (failed_) return std::nullopt;
  return as_chars(b);
}

bytes_view wire_reader::bytes(bool flexible, std::string_view field) noexcept {
  const std::size_t start = pos_;
  const auto b = nullable_bytes(flexible, field);
  if (b) return *b;
  if (!failed_) fail_at(errc::negative_length, start, field);
  return {};
}

std::optional<bytes_view> wire_reader::nullable_bytes(bool flexible,
                                                      std::string_view field) noexcept {
  const std::size_t start = pos_;
  const std::int64_t len = length_prefix(flexible, true, field);
  if (len < 0) return std::nullopt;
  const bytes_view b = body(len, start, field);
  if (failed_) return std::nullopt;
  return b;
}

std::optional<std::uint32_t> wire_reader::array_length(bool flexible, std::size_t min_element_size,
                                                       std::string_view field,
                                                       bool nullable) noexcept {
  const std::size_t start = pos_;
  const std::int64_t len = length_prefix(flexible, true, field);
  if (len == -2) return std::nullopt;
  if (len == -1) {
    if (!nullable) fail_at(errc::negative_length, start, field);
    return std::nullopt;
  }
  // Every Kafka element takes at least one byte; treating 0 as 1 keeps the promise that no
  // count larger than the remaining bytes escapes.
  const std::size_t min = min_element_size == 0 ? 1 : min_element_size;
  if (static_cast<std::uint64_t>(len) > remaining() / min) {
    fail_at(errc::bad_length, start, field);
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(len);
}

bytes_view wire_reader::raw(std::size_t n, std::string_view field) noexcept {
  if (!enough(n, field)) return {};
  bytes_view v = buf_.subspan(pos_, n);
  pos_ += n;
  return v;
}

bool wire_reader::skip(std::size_t n, std::string_view field) noexcept {
  if (!enough(n, field)) return false;
  pos_ += n;
  return true;
}

}  // namespace kpp::protocol
