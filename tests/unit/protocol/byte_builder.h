// Test-side byte builder for hand-written golden vectors. Deliberately independent of
// wire_writer: a vector built with the code under test would only prove self-consistency.
// Each call appends one wire field; tests name the field in a trailing comment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace kpp::test {

// Literal bytes, for short vectors spelled out in full: B({0x00, 0x2a}).
inline std::vector<std::byte> B(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

class byte_builder {
 public:
  // Big-endian fixed-width integers.
  byte_builder& i8(std::int8_t v) { return be(static_cast<std::uint8_t>(v), 1); }
  byte_builder& i16(std::int16_t v) { return be(static_cast<std::uint16_t>(v), 2); }
  byte_builder& i32(std::int32_t v) { return be(static_cast<std::uint32_t>(v), 4); }
  byte_builder& i64(std::int64_t v) { return be(static_cast<std::uint64_t>(v), 8); }
  byte_builder& boolean(bool v) { return i8(v ? 1 : 0); }
  byte_builder& u16(std::uint16_t v) { return be(v, 2); }
  // UUID: 16 copies of `fill`, enough to tell topics apart in a vector.
  byte_builder& uuid(std::uint8_t fill) { return repeat(16, fill); }
  // `n` copies of `b` (record payloads a rewriter must skip unread).
  byte_builder& repeat(std::size_t n, std::uint8_t b) {
    out_.insert(out_.end(), n, static_cast<std::byte>(b));
    return *this;
  }

  // Unsigned LEB128 varint, as KIP-482 compact lengths and tagged-field headers use.
  byte_builder& uvarint(std::uint32_t v) {
    while (v >= 0x80) {
      push(static_cast<std::uint8_t>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    return push(static_cast<std::uint8_t>(v));
  }

  // Raw bytes, for odd encodings a test wants to spell out exactly.
  byte_builder& raw(std::initializer_list<std::uint8_t> bytes) {
    for (auto b : bytes) push(b);
    return *this;
  }
  byte_builder& raw(std::string_view text) {
    for (char c : text) push(static_cast<std::uint8_t>(c));
    return *this;
  }
  byte_builder& append(const std::vector<std::byte>& bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  // STRING: int16 length + bytes; NULLABLE_STRING null: int16 -1.
  byte_builder& str(std::string_view s) {
    i16(static_cast<std::int16_t>(s.size()));
    return raw(s);
  }
  byte_builder& null_str() { return i16(-1); }
  // COMPACT_STRING: uvarint length+1 + bytes; compact null: uvarint 0.
  byte_builder& cstr(std::string_view s) {
    uvarint(static_cast<std::uint32_t>(s.size() + 1));
    return raw(s);
  }
  byte_builder& null_cstr() { return uvarint(0); }

  // ARRAY: int32 count; COMPACT_ARRAY: uvarint count+1.
  byte_builder& array(std::int32_t n) { return i32(n); }
  byte_builder& carray(std::uint32_t n) { return uvarint(n + 1); }
  byte_builder& null_carray() { return uvarint(0); }

  // COMPACT_BYTES / COMPACT_RECORDS: uvarint length+1 + bytes; null: uvarint 0.
  byte_builder& cbytes(const std::vector<std::byte>& b) {
    uvarint(static_cast<std::uint32_t>(b.size() + 1));
    return append(b);
  }

  // An empty tagged-field section (count 0), and a single (tag, size, data) entry.
  byte_builder& no_tags() { return uvarint(0); }
  byte_builder& tag(std::uint32_t tag, std::initializer_list<std::uint8_t> data) {
    uvarint(tag);
    uvarint(static_cast<std::uint32_t>(data.size()));
    return raw(data);
  }
  byte_builder& tag(std::uint32_t tag, const std::vector<std::byte>& data) {
    uvarint(tag);
    uvarint(static_cast<std::uint32_t>(data.size()));
    return append(data);
  }

  [[nodiscard]] std::size_t size() const { return out_.size(); }
  [[nodiscard]] std::span<const std::byte> view() const { return out_; }
  [[nodiscard]] const std::vector<std::byte>& bytes() const& { return out_; }
  [[nodiscard]] std::vector<std::byte> bytes() && { return std::move(out_); }
  operator const std::vector<std::byte>&() const& { return out_; }  // NOLINT

 private:
  byte_builder& push(std::uint8_t b) {
    out_.push_back(static_cast<std::byte>(b));
    return *this;
  }
  byte_builder& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) push(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }

  std::vector<std::byte> out_;
};

}  // namespace kpp::test
