#include "kpp/auth/upstream_secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kpp::auth {
namespace {

void drop_newline(std::string& s) {
  if (s.ends_with('\n')) s.pop_back();
  if (s.ends_with('\r')) s.pop_back();
}

}  // namespace

auth_result<std::string> load_secret_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return fail(e == ENOENT ? auth_errc::secret_missing : auth_errc::file_unreadable,
                "cannot open secret file " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(auth_errc::file_unreadable, "secret file " + path + " is not a regular file");
  }
  if ((st.st_mode & S_IROTH) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(auth_errc::file_permissions, "secret file " + path + " has mode " + mode +
                                                 ", readable by anyone; run: chmod 600 " + path);
  }
  std::string text;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return fail(auth_errc::file_unreadable,
                  "cannot read secret file " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > secret_max_size) {
      ::close(fd);
      return fail(auth_errc::secret_too_large,
                  "secret file " + path + " is larger than 64 KiB; is it the right file?");
    }
  }
  ::close(fd);
  drop_newline(text);
  if (text.empty()) return fail(auth_errc::secret_empty, "secret file " + path + " is empty");
  return text;
}

auth_result<std::string> secret_from_env(std::string_view var, const char* value) {
  if (value == nullptr) {
    return fail(auth_errc::secret_missing,
                "environment variable " + std::string(var) + " is not set");
  }
  std::string text(value);
  if (text.size() > secret_max_size) {
    return fail(auth_errc::secret_too_large,
                "environment variable " + std::string(var) + " is larger than 64 KiB");
  }
  drop_newline(text);
  if (text.empty()) {
    return fail(auth_errc::secret_empty, "environment variable " + std::string(var) + " is empty");
  }
  return text;
}

}  // namespace kpp::auth
