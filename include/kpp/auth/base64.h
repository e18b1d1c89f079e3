// Standard base64 (RFC 4648, padded), as SCRAM and the users file use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kpp::auth {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Strict: only the standard alphabet, length a multiple of 4, padding only at the end.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace kpp::auth
