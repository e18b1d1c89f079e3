// The users file of a listener that authenticates clients: salted SCRAM credentials only,
// never a password. One entry per line, '#' comments and blank lines ignored:
//
//   <name>:<mechanism>:<iterations>:<salt_b64>:<storedkey_b64>:<serverkey_b64>
//   alice:SCRAM-SHA-256:8192:c2FsdA==:...:...
//   alice:SCRAM-SHA-512:8192:c2FsdA==:...:...
//
// name: printable ASCII without ':' (SASLprep is not done); mechanism: SCRAM-SHA-256 or
// SCRAM-SHA-512; iterations: scram_min_iterations..scram_max_iterations; keys: the digest
// size of the mechanism (32 or 64 bytes). A name may have one entry per mechanism; PLAIN
// logins are checked against either (SHA-512 first). The file must not be readable or
// writable by group or others (mode 0600): salted keys still allow offline guessing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kpp/auth/auth_error.h"
#include "kpp/auth/scram_keys.h"

namespace kpp::auth {

inline constexpr std::uint32_t users_file_default_iterations = 8192;
inline constexpr std::size_t users_file_max_size = 16u << 20;  // bounds what a load reads

struct user_entry {
  std::optional<scram_credential> sha256;
  std::optional<scram_credential> sha512;
};

class users_db {
 public:
  // The credential for a SCRAM mechanism; for PLAIN, whichever the user has (SHA-512 first).
  [[nodiscard]] std::optional<scram_credential> find(std::string_view name, mechanism m) const;
  [[nodiscard]] std::size_t size() const noexcept { return users_.size(); }
  // For parse_users, which fills it.
  std::map<std::string, user_entry, std::less<>>& entries() noexcept { return users_; }

 private:
  std::map<std::string, user_entry, std::less<>> users_;
};

// Parses the text of a users file; errors name the line ("line 3: ...").
[[nodiscard]] auth_result<users_db> parse_users(std::string_view text);
// One line (no newline) for a credential.
[[nodiscard]] std::string format_user_line(std::string_view name, const scram_credential& cred);
// `text` with every line of `name` removed and `lines` appended (comments kept).
[[nodiscard]] std::string replace_user_lines(std::string_view text, std::string_view name,
                                             std::string_view lines);

// Refuses (file_permissions) a file whose mode gives group or others any access.
[[nodiscard]] auth_status check_users_file_mode(const std::string& path);
// Checks the mode, reads and parses.
[[nodiscard]] auth_result<users_db> load_users_file(const std::string& path);
// Adds or replaces `name`'s entries (SCRAM-SHA-256 and -512, fresh random salts) in the file
// at `path` (created when missing): written to a temporary file with mode 0600 in the same
// directory, synced, then renamed over the old one, so readers see the old or the new file.
[[nodiscard]] auth_status upsert_user(const std::string& path, std::string_view name,
                                      std::string_view password,
                                      std::uint32_t iterations = users_file_default_iterations);

}  // namespace kpp::auth
