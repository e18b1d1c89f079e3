// The password the proxy logs in upstream with: from a file or an environment variable,
// never from the YAML (the .deb's conffile is world-readable). A file must not be readable
// by others; one trailing newline (as editors and `echo` leave) is dropped.
#pragma once

#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"

namespace kpp::auth {

inline constexpr std::size_t secret_max_size = 64u << 10;

// secret_missing (no such file), file_permissions (readable by others), file_unreadable,
// secret_too_large, secret_empty.
[[nodiscard]] auth_result<std::string> load_secret_file(const std::string& path);
// From an already-read environment value; `var` names it in errors. nullptr: secret_missing.
[[nodiscard]] auth_result<std::string> secret_from_env(std::string_view var, const char* value);

}  // namespace kpp::auth
