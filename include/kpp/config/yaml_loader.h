// YAML file -> validated config. Unknown keys at any level, wrong types and bad values are
// errors that carry the file, line and column.
#pragma once

#include <string>
#include <string_view>

#include "kpp/config/config.h"
#include "kpp/config/errors.h"

namespace kpp::config {

[[nodiscard]] result<config> load_yaml_file(const std::string& path);

// `source` names the text in messages ("<string>", a file name).
[[nodiscard]] result<config> load_yaml_string(std::string_view text,
                                              std::string_view source = "<string>");

}  // namespace kpp::config
