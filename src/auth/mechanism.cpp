#include "kpp/auth/mechanism.h"

namespace kpp::auth {

std::string_view name(mechanism m) noexcept {
  switch (m) {
    case mechanism::plain:
      return "PLAIN";
    case mechanism::scram_sha_256:
      return "SCRAM-SHA-256";
    case mechanism::scram_sha_512:
      return "SCRAM-SHA-512";
  }
  return "";
}

std::optional<mechanism> parse_mechanism(std::string_view s) noexcept {
  for (auto m : {mechanism::plain, mechanism::scram_sha_256, mechanism::scram_sha_512}) {
    if (s == name(m)) return m;
  }
  return std::nullopt;
}

}  // namespace kpp::auth
