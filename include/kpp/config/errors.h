// Error values of the config layer. Every message names the key, the value and the expected
// form; the command line turns one into exit code 2.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kpp::config {

struct error {
  std::string message;  // one line per problem
  int exit_code = 2;    // what the binary exits with (2: usage or configuration error)
  friend bool operator==(const error&, const error&) = default;
};

// A value or an error; the config layer never lets an exception reach its caller.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}               // NOLINT(google-explicit-constructor)
  result(kpp::config::error err) : v_(std::move(err)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const kpp::config::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, kpp::config::error> v_;
};

}  // namespace kpp::config
