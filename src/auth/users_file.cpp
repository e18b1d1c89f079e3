#include "kpp/auth/users_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kpp/auth/base64.h"
#include "kpp/auth/scram_messages.h"

namespace kpp::auth {
namespace {

auth_error bad_line(std::size_t n, const std::string& what) {
  return fail(auth_errc::file_bad_line, "line " + std::to_string(n) + ": " + what);
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto colon = line.find(':', start);
    out.push_back(line.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) return out;
    start = colon + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Calls f(line_number, line) for each line.
template <class F>
void each_line(std::string_view text, F f) {
  std::size_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    f(++n, text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

auth_status valid_name(std::string_view name) {
  if (name.empty()) return fail(auth_errc::malformed_message, "the user name is empty");
  if (auto ok = check_ascii(name, "the user name"); !ok) return ok.error();
  if (name.find(':') != std::string_view::npos) {
    return fail(auth_errc::malformed_message, "a user name cannot hold ':'");
  }
  return done_t{};
}

std::string errno_text(int e) {
  return std::strerror(e);
}

auth_result<std::string> read_all(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return fail(auth_errc::file_unreadable,
                "cannot open users file " + path + ": " + errno_text(e));
  }
  std::string text;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return fail(auth_errc::file_unreadable,
                  "cannot read users file " + path + ": " + errno_text(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > users_file_max_size) {
      ::close(fd);
      return fail(auth_errc::file_unreadable, "users file " + path + " is larger than 16 MiB");
    }
  }
  ::close(fd);
  return text;
}

}  // namespace

std::optional<scram_credential> users_db::find(std::string_view name, mechanism m) const {
  const auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  switch (m) {
    case mechanism::scram_sha_256:
      return it->second.sha256;
    case mechanism::scram_sha_512:
      return it->second.sha512;
    case mechanism::plain:
      return it->second.sha512 ? it->second.sha512 : it->second.sha256;
  }
  return std::nullopt;
}

auth_result<users_db> parse_users(std::string_view text) {
  users_db db;
  std::optional<auth_error> err;
  each_line(text, [&](std::size_t n, std::string_view raw) {
    if (err) return;
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') return;
    const auto f = fields(line);
    if (f.size() != 6) {
      err = bad_line(n, "expected name:mechanism:iterations:salt:storedkey:serverkey");
      return;
    }
    if (auto ok = valid_name(f[0]); !ok) {
      err = bad_line(n, ok.error().detail);
      return;
    }
    const auto mech = parse_mechanism(f[1]);
    if (!mech || !is_scram(*mech)) {
      err = bad_line(n, "mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512");
      return;
    }
    std::uint32_t iterations = 0;
    const auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), iterations);
    if (ec != std::errc{} || end != f[2].data() + f[2].size() || f[2].empty() ||
        iterations < scram_min_iterations || iterations > scram_max_iterations) {
      err = bad_line(n, "iterations must be a number in " + std::to_string(scram_min_iterations) +
                            ".." + std::to_string(scram_max_iterations));
      return;
    }
    auto salt = base64_decode(f[3]);
    auto stored = base64_decode(f[4]);
    auto server = base64_decode(f[5]);
    if (!salt || salt->empty()) {
      err = bad_line(n, "the salt is not base64");
      return;
    }
    const auto size = digest_size(*mech);
    if (!stored || !server || stored->size() != size || server->size() != size) {
      err = bad_line(n, "the keys must be base64 of " + std::to_string(size) + " bytes");
      return;
    }
    auto& entry = db.entries()[std::string(f[0])];
    auto& slot = *mech == mechanism::scram_sha_256 ? entry.sha256 : entry.sha512;
    if (slot) {
      err = bad_line(n, "a second " + std::string(f[1]) + " entry for the same user");
      return;
    }
    slot = scram_credential{*mech, std::move(*salt), iterations, std::move(*stored),
                            std::move(*server)};
  });
  if (err) return *err;
  return db;
}

std::string format_user_line(std::string_view name, const scram_credential& cred) {
  return std::string(name) + ":" + std::string(auth::name(cred.mech)) + ":" +
         std::to_string(cred.iterations) + ":" + base64_encode(cred.salt) + ":" +
         base64_encode(cred.stored_key) + ":" + base64_encode(cred.server_key);
}

std::string replace_user_lines(std::string_view text, std::string_view name,
                               std::string_view lines) {
  std::string out;
  const std::string prefix = std::string(name) + ":";
  each_line(text, [&](std::size_t, std::string_view raw) {
    if (trim(raw).starts_with(prefix)) return;
    out += raw;
    out += '\n';
  });
  out += lines;
  return out;
}

auth_status check_users_file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    return fail(auth_errc::file_unreadable,
                "cannot stat users file " + path + ": " + errno_text(e));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(auth_errc::file_permissions, "users file " + path + " has mode " + mode +
                                                 ", open to group or others; run: chmod 600 " +
                                                 path);
  }
  return done_t{};
}

auth_result<users_db> load_users_file(const std::string& path) {
  if (auto ok = check_users_file_mode(path); !ok) return ok.error();
  auto text = read_all(path);
  if (!text) return text.error();
  auto db = parse_users(*text);
  if (!db) {
    return fail(auth_errc::file_bad_line, "users file " + path + ", " + db.error().detail);
  }
  return db;
}

auth_status upsert_user(const std::string& path, std::string_view name, std::string_view password,
                        std::uint32_t iterations) {
  if (auto ok = valid_name(name); !ok) return ok.error();
  if (auto ok = check_ascii(password, "the password"); !ok) return ok.error();
  if (password.empty()) return fail(auth_errc::secret_empty, "the password is empty");
  std::string old;
  if (::access(path.c_str(), F_OK) == 0) {
    // Refuses to extend a file that is open to others or does not parse.
    if (auto ok = check_users_file_mode(path); !ok) return ok.error();
    auto text = read_all(path);
    if (!text) return text.error();
    if (auto db = parse_users(*text); !db) {
      return fail(auth_errc::file_bad_line, "users file " + path + ", " + db.error().detail);
    }
    old = std::move(*text);
  }
  std::string lines;
  for (auto m : {mechanism::scram_sha_256, mechanism::scram_sha_512}) {
    auto salt = random_bytes(16);
    if (!salt) return salt.error();
    auto cred = make_scram_credential(m, password, *salt, iterations);
    if (!cred) return cred.error();
    lines += format_user_line(name, *cred) + "\n";
  }
  const std::string text = replace_user_lines(old, name, lines);

  std::string tmp = path + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    const int e = errno;
    return fail(auth_errc::write_failed,
                "cannot create a file next to " + path + ": " + errno_text(e));
  }
  std::size_t done = 0;
  bool ok = ::fchmod(fd, 0600) == 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int e = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int re = ok ? errno : e;
    ::unlink(tmp.c_str());
    return fail(auth_errc::write_failed, "cannot write users file " + path + ": " + errno_text(re));
  }
  return done_t{};
}

}  // namespace kpp::auth
