// Upstream login secret from a file or the environment, with typed errors.
#include "kpp/auth/upstream_secret.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kpp::auth {
namespace {

class secret_file {
 public:
  secret_file(const std::string& text, mode_t mode) {
    std::string t = (std::filesystem::temp_directory_path() / "kpp-secret-XXXXXX").string();
    const int fd = ::mkstemp(t.data());
    ::close(fd);
    path_ = t;
    std::ofstream(path_) << text;
    ::chmod(path_.c_str(), mode);
  }
  ~secret_file() { std::filesystem::remove(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(UpstreamSecret, FileDropsOneTrailingNewline) {
  secret_file f("s3cret\n", 0600);
  EXPECT_EQ(*load_secret_file(f.path()), "s3cret");
  secret_file crlf("s3cret\r\n", 0440);  // group-readable is allowed (a secrets group)
  EXPECT_EQ(*load_secret_file(crlf.path()), "s3cret");
  secret_file inner(" two words \n\n", 0400);
  EXPECT_EQ(*load_secret_file(inner.path()), " two words \n");
}

TEST(UpstreamSecret, FileErrors) {
  EXPECT_EQ(load_secret_file("/nonexistent/kpp-secret").error().code, auth_errc::secret_missing);
  secret_file empty("\n", 0600);
  EXPECT_EQ(load_secret_file(empty.path()).error().code, auth_errc::secret_empty);
  secret_file open("s3cret", 0644);
  const auto r = load_secret_file(open.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, auth_errc::file_permissions);
  EXPECT_EQ(r.error().detail.find("s3cret"), std::string::npos);  // never quotes the secret
  secret_file huge(std::string(secret_max_size + 1, 'x'), 0600);
  EXPECT_EQ(load_secret_file(huge.path()).error().code, auth_errc::secret_too_large);
  EXPECT_EQ(load_secret_file(std::filesystem::temp_directory_path().string()).error().code,
            auth_errc::file_unreadable);
}

TEST(UpstreamSecret, Environment) {
  EXPECT_EQ(*secret_from_env("KPP_SASL_PASSWORD", "pw\n"), "pw");
  EXPECT_EQ(secret_from_env("KPP_SASL_PASSWORD", nullptr).error().code, auth_errc::secret_missing);
  EXPECT_EQ(secret_from_env("KPP_SASL_PASSWORD", "").error().code, auth_errc::secret_empty);
  const auto r = secret_from_env("KPP_SASL_PASSWORD", nullptr);
  EXPECT_NE(r.error().detail.find("KPP_SASL_PASSWORD"), std::string::npos);
}

}  // namespace
}  // namespace kpp::auth
