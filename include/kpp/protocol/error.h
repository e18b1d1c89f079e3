// Error values of the protocol layer: what failed, where, and while reading which field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kpp::protocol {

enum class errc : std::uint8_t {
  truncated,        // fewer bytes remain than the field needs
  negative_length,  // a length or count below -1 (or -1 where null is not allowed)
  bad_length,       // a length or count larger than the bytes that remain
  varint_overflow,  // a varint longer than its type allows
  trailing_bytes,   // bytes left after the last field
  unknown_api_key,  // an API key the table does not know
  unknown_version,  // a version outside what the table (or a codec) knows
  bad_tag_order,    // tagged fields not strictly ascending
  invalid_value,    // a value the spec does not allow (e.g. a port outside 0..65535)
  unmapped_node,    // the address mapper refused a node: fail closed, never leak it
};

[[nodiscard]] std::string_view to_string(errc code) noexcept;

struct error {
  errc code{};
  std::size_t offset = 0;  // byte offset into the decoded span where it failed
  std::string_view field;  // static text naming the field being read ("brokers[].host")

  // "truncated at offset 17 reading brokers[].host"
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const error&, const error&) = default;
};

struct ok_t {
  friend bool operator==(ok_t, ok_t) = default;
};

// A value or an error; no exceptions on the decode path.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  result(protocol::error err) : v_(std::move(err)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const protocol::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, protocol::error> v_;
};

using status = result<ok_t>;

}  // namespace kpp::protocol
