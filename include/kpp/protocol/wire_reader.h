// Bounds-checked reads of Kafka wire primitives from a span. The first failure is sticky:
// later reads return zero values and ok() stays false, so a codec can read a whole
// struct and check once. Counts are checked against the bytes that remain before any
// caller can allocate by them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

using uuid = std::array<std::byte, 16>;

class wire_reader {
 public:
  explicit wire_reader(bytes_view buf) noexcept : buf_(buf) {}

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  [[nodiscard]] const error& err() const noexcept { return err_; }
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return buf_.size() - pos_; }
  [[nodiscard]] bytes_view buffer() const noexcept { return buf_; }
  // Bytes [from, offset()) of the buffer: for verbatim copies of what was walked.
  [[nodiscard]] bytes_view since(std::size_t from) const noexcept;

  // Records the first failure only. Returns false so callers can `return r.fail(...)`.
  bool fail(errc code, std::string_view field) noexcept;
  // As fail(), but at an earlier offset: where the field that turned out bad started. The
  // position moves back there, so after any failure offset() == err().offset.
  bool fail_at(errc code, std::size_t at, std::string_view field) noexcept;
  // True when n bytes remain; otherwise fails with `truncated`.
  bool enough(std::size_t n, std::string_view field) noexcept;
  // Fails with trailing_bytes unless everything was consumed.
  bool expect_end(std::string_view field = "end of message") noexcept;

  std::int8_t i8(std::string_view field) noexcept;
  std::int16_t i16(std::string_view field) noexcept;
  std::uint16_t u16(std::string_view field) noexcept;
  std::int32_t i32(std::string_view field) noexcept;
  std::uint32_t u32(std::string_view field) noexcept;
  std::int64_t i64(std::string_view field) noexcept;
  double f64(std::string_view field) noexcept;
  bool boolean(std::string_view field) noexcept;
  std::uint32_t uvarint(std::string_view field) noexcept;  // at most 5 bytes
  std::int32_t varint(std::string_view field) noexcept;    // zig-zag, at most 5 bytes
  std::int64_t varlong(std::string_view field) noexcept;   // zig-zag, at most 10 bytes
  uuid read_uuid(std::string_view field) noexcept;

  // Strings: classic = int16 length; compact = uvarint length+1. `flexible` picks the form.
  std::string_view string(bool flexible, std::string_view field) noexcept;  // null is an error
  std::optional<std::string_view> nullable_string(bool flexible, std::string_view field) noexcept;
  // Bytes: classic = int32 length; compact = uvarint length+1.
  bytes_view bytes(bool flexible, std::string_view field) noexcept;  // null is an error
  std::optional<bytes_view> nullable_bytes(bool flexible, std::string_view field) noexcept;

  // Array length: classic = int32, compact = uvarint length+1. nullopt means a null array
  // (only accepted when `nullable`). A count whose elements cannot fit in the remaining
  // bytes (count * min_element_size > remaining()) fails with bad_length.
  std::optional<std::uint32_t> array_length(bool flexible, std::size_t min_element_size,
                                            std::string_view field, bool nullable = false) noexcept;

  bytes_view raw(std::size_t n, std::string_view field) noexcept;  // a view, no copy
  bool skip(std::size_t n, std::string_view field) noexcept;

 private:
  // A length prefix (classic int16/int32 or compact uvarint N+1): -1 for null, the length
  // otherwise; on failure (below -1) returns -2 with the error recorded.
  std::int64_t length_prefix(bool flexible, bool wide, std::string_view field) noexcept;
  // The `len` bytes after a length prefix that started at `start`.
  bytes_view body(std::int64_t len, std::size_t start, std::string_view field) noexcept;
  std::uint64_t be(std::size_t n, std::string_view field) noexcept;

  bytes_view buf_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  error err_{};
};

}  // namespace kpp::protocol
