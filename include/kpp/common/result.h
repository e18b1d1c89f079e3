// A value or an error, no exceptions: the one result type the layers are meant to share
// (DESIGN.md, "Rooms to mend"). Header-only. The auth layer uses it; protocol::result and
// config's can become aliases of it (result<T, protocol::error>) when those layers are next
// touched.
#pragma once

#include <utility>
#include <variant>

namespace kpp::common {

template <class T, class E>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  result(E err) : v_(std::in_place_index<1>, std::move(err)) {}      // NOLINT
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace kpp::common
