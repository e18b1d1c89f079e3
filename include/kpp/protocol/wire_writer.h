// Appends Kafka wire primitives to a byte_buffer. Mirrors wire_reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/wire_reader.h"

namespace kpp::protocol {

class wire_writer {
 public:
  explicit wire_writer(byte_buffer& out) noexcept : out_(out) {}

  void i8(std::int8_t v);
  void i16(std::int16_t v);
  void u16(std::uint16_t v);
  void i32(std::int32_t v);
  void u32(std::uint32_t v);
  void i64(std::int64_t v);
  void boolean(bool v);
  void uvarint(std::uint32_t v);
  void varint(std::int32_t v);
  void varlong(std::int64_t v);
  void write_uuid(const uuid& v);
  void string(std::string_view s, bool flexible);
  void nullable_string(std::optional<std::string_view> s, bool flexible);
  void bytes(bytes_view b, bool flexible);
  void nullable_bytes(std::optional<bytes_view> b, bool flexible);
  // nullopt writes a null array (-1 classic, 0 compact).
  void array_length(std::optional<std::uint32_t> n, bool flexible);
  void raw(bytes_view b);
  // Overwrites 4 bytes at `at` with a big-endian int32 (frame sizes written afterwards).
  void patch_i32(std::size_t at, std::int32_t v);
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  byte_buffer& out_;
};

// Sizes of the encodings, for callers that must know a length before writing.
[[nodiscard]] std::size_t uvarint_size(std::uint32_t v) noexcept;

}  // namespace kpp::protocol
