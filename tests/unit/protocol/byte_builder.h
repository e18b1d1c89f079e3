// Test-side builder for hand-written golden vectors. It deliberately shares no code with
// the protocol layer (no wire_writer): a vector built here is an independent reading of
// the message definitions, so a test that compares codec output with it can fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace kpp::test {

class byte_builder {
 public:
  // Fixed-width big-endian integers.
  byte_builder& i8(std::int8_t v) { return be(static_cast<std::uint8_t>(v), 1); }
  byte_builder& i16(std::int16_t v) { return be(static_cast<std::uint16_t>(v), 2); }
  byte_builder& u16(std::uint16_t v) { return be(v, 2); }
  byte_builder& i32(std::int32_t v) { return be(static_cast<std::uint32_t>(v), 4); }
  byte_builder& i64(std::int64_t v) { return be(static_cast<std::uint64_t>(v), 8); }
  byte_builder& boolean(bool v) { return i8(v ? 1 : 0); }

  // Unsigned LEB128, as Kafka's UNSIGNED_VARINT.
  byte_builder& uvarint(std::uint32_t v) {
    while (v >= 0x80) {
      push(static_cast<std::uint8_t>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    push(static_cast<std::uint8_t>(v));
    return *this;
  }

  // A uuid made of 16 copies of `fill` (enough to tell topics apart in a test).
  byte_builder& uuid(std::uint8_t fill) {
    for (int i = 0; i < 16; ++i) push(fill);
    return *this;
  }

  // Raw bytes given as numbers, e.g. raw({0xde, 0xad}).
  byte_builder& raw(std::initializer_list<std::uint8_t> bytes) {
    for (auto b : bytes) push(b);
    return *this;
  }
  byte_builder& raw(std::span<const std::byte> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  byte_builder& text(std::string_view s) {
    for (char c : s) push(static_cast<std::uint8_t>(c));
    return *this;
  }
  // `n` copies of `b` (records payloads, padding).
  byte_builder& fill(std::size_t n, std::uint8_t b) {
    buf_.insert(buf_.end(), n, static_cast<std::byte>(b));
    return *this;
  }

  // Classic STRING / NULLABLE_STRING: int16 length.
  byte_builder& str(std::string_view s) { return i16(static_cast<std::int16_t>(s.size())).text(s); }
  byte_builder& null_str() { return i16(-1); }
  // COMPACT_STRING / COMPACT_NULLABLE_STRING: uvarint length + 1, null = 0.
  byte_builder& cstr(std::string_view s) {
    return uvarint(static_cast<std::uint32_t>(s.size() + 1)).text(s);
  }
  byte_builder& null_cstr() { return uvarint(0); }

  // Classic ARRAY: int32 count (-1 = null). COMPACT_ARRAY: uvarint count + 1 (0 = null).
  byte_builder& arr(std::int32_t n) { return i32(n); }
  byte_builder& carr(std::uint32_t n) { return uvarint(n + 1); }
  byte_builder& null_carr() { return uvarint(0); }

  // COMPACT_BYTES / COMPACT_RECORDS: uvarint length + 1, null = 0.
  byte_builder& cbytes(std::span<const std::byte> b) {
    uvarint(static_cast<std::uint32_t>(b.size() + 1));
    return raw(b);
  }
  byte_builder& null_cbytes() { return uvarint(0); }

  // An empty tagged-field section.
  byte_builder& no_tags() { return uvarint(0); }
  // One tagged field entry (the caller writes the section count first).
  byte_builder& tag(std::uint32_t t, std::span<const std::byte> data) {
    uvarint(t).uvarint(static_cast<std::uint32_t>(data.size()));
    return raw(data);
  }

  // Another builder's bytes appended.
  byte_builder& append(const byte_builder& other) { return raw(other.view()); }

  [[nodiscard]] std::span<const std::byte> view() const { return buf_; }
  [[nodiscard]] const std::vector<std::byte>& bytes() const { return buf_; }
  [[nodiscard]] std::size_t size() const { return buf_.size(); }
  // The position the next byte will land on: to note field offsets while building.
  [[nodiscard]] std::size_t mark() const { return buf_.size(); }

 private:
  void push(std::uint8_t b) { buf_.push_back(static_cast<std::byte>(b)); }
  byte_builder& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) push(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }

  std::vector<std::byte> buf_;
};

}  // namespace kpp::test
