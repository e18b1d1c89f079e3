// Users file: parsing with line numbers, the mode check, and the atomic add/replace writer.
#include "kpp/auth/users_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "kpp/auth/base64.h"
#include "kpp/auth/plain.h"

namespace kpp::auth {
namespace {

// RFC 7677's SCRAM-SHA-256 credential for "pencil" (see scram_test.cpp).
const std::string sha256_line =
    "user:SCRAM-SHA-256:4096:W22ZaJ0SNY7soEsUEjb6gQ==:"
    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

class temp_dir {
 public:
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "kpp-users-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(UsersFile, ParsesEntriesCommentsAndBlankLines) {
  auto db = parse_users("# users\n\n" + sha256_line + "\r\n");
  ASSERT_TRUE(db) << db.error().detail;
  EXPECT_EQ(db->size(), 1u);
  const auto cred = db->find("user", mechanism::scram_sha_256);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->iterations, 4096u);
  EXPECT_EQ(base64_encode(cred->salt), "W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_FALSE(db->find("user", mechanism::scram_sha_512));
  EXPECT_TRUE(db->find("user", mechanism::plain));  // PLAIN falls back to SHA-256
  EXPECT_FALSE(db->find("nobody", mechanism::plain));
  EXPECT_TRUE(*verify_password(*db->find("user", mechanism::plain), "pencil"));
}

TEST(UsersFile, BadLinesNameTheirNumber) {
  const std::string bad[] = {
      "user:SCRAM-SHA-256:4096:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA",              // 5 fields
      "user:PLAIN:4096:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",                 // mechanism
      "user:SCRAM-SHA-256:100:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",          // iterations
      "user:SCRAM-SHA-256:4096x:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",        // iterations
      "user:SCRAM-SHA-256:4096:***:AAAA:AAAA",                              // salt
      "user:SCRAM-SHA-256:4096:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",         // key size
      ":SCRAM-SHA-256:4096:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",             // empty name
      "us\xc3\xa9r:SCRAM-SHA-256:4096:W22ZaJ0SNY7soEsUEjb6gQ==:AAAA:AAAA",  // non-ASCII
      sha256_line,                                                          // duplicate
  };
  for (const auto& line : bad) {
    SCOPED_TRACE(line);
    // The bad line is line 3 (a duplicate follows its first copy on line 2).
    const std::string line2 = line == sha256_line ? sha256_line : "";
    auto db = parse_users("# header\n" + line2 + "\n" + line + "\n");
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, auth_errc::file_bad_line);
    EXPECT_EQ(db.error().detail.rfind("line 3: ", 0), 0u) << db.error().detail;
  }
}

TEST(UsersFile, RefusesAFileOpenToGroupOrOthers) {
  temp_dir dir;
  const auto path = dir.file("users");
  write_file(path, sha256_line + "\n", 0640);
  auto db = load_users_file(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, auth_errc::file_permissions);
  EXPECT_NE(db.error().detail.find("chmod 600"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(load_users_file(path));
  EXPECT_EQ(load_users_file(dir.file("missing")).error().code, auth_errc::file_unreadable);
}

TEST(UsersFile, UpsertCreatesReplacesAndKeepsOthers) {
  temp_dir dir;
  const auto path = dir.file("users");
  write_file(path, "# team\n" + sha256_line + "\n", 0600);
  ASSERT_TRUE(upsert_user(path, "alice", "wonder", 4096));
  ASSERT_TRUE(upsert_user(path, "alice", "land", 4096));  // replaces both of alice's lines
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto db = load_users_file(path);
  ASSERT_TRUE(db) << db.error().detail;
  EXPECT_EQ(db->size(), 2u);
  for (auto m : {mechanism::scram_sha_256, mechanism::scram_sha_512}) {
    const auto cred = db->find("alice", m);
    ASSERT_TRUE(cred);
    EXPECT_TRUE(*verify_password(*cred, "land"));
    EXPECT_FALSE(*verify_password(*cred, "wonder"));
  }
  EXPECT_TRUE(db->find("user", mechanism::scram_sha_256));
  EXPECT_EQ(read_file(path).rfind("# team\n" + sha256_line + "\nalice:SCRAM-SHA-256:", 0), 0u);
  // The salts are random per entry.
  EXPECT_NE(db->find("alice", mechanism::scram_sha_256)->salt,
            db->find("alice", mechanism::scram_sha_512)->salt);
  // No temporary file left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("")), {}), 1);
}

TEST(UsersFile, UpsertCreatesAMissingFileAndRefusesBadInput) {
  temp_dir dir;
  const auto path = dir.file("new-users");
  ASSERT_TRUE(upsert_user(path, "bob", "builder", 4096));
  EXPECT_TRUE(load_users_file(path));
  EXPECT_EQ(upsert_user(path, "b:ob", "x", 4096).error().code, auth_errc::malformed_message);
  EXPECT_EQ(upsert_user(path, "bob", "", 4096).error().code, auth_errc::secret_empty);
  EXPECT_EQ(upsert_user(path, "bob", "caf\xc3\xa9", 4096).error().code, auth_errc::not_ascii);
  EXPECT_EQ(upsert_user(path, "bob", "x", 10).error().code, auth_errc::bad_iterations);
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(upsert_user(path, "bob", "x", 4096).error().code, auth_errc::file_permissions);
  write_file(path, "bob:garbage\n", 0600);
  const auto broken = upsert_user(path, "bob", "x", 4096);
  EXPECT_EQ(broken.error().code, auth_errc::file_bad_line);
  EXPECT_NE(broken.error().detail.find("line 1"), std::string::npos);
  EXPECT_EQ(read_file(path), "bob:garbage\n");  // left as it was
}

TEST(UsersFile, ReplaceUserLinesMatchesWholeNamesOnly) {
  const std::string text = "al:SCRAM-SHA-256:x\nalice:SCRAM-SHA-256:y\n# al:\n";
  EXPECT_EQ(replace_user_lines(text, "al", "al:new\n"), "alice:SCRAM-SHA-256:y\n# al:\nal:new\n");
  EXPECT_EQ(replace_user_lines("", "al", "al:new\n"), "al:new\n");
  EXPECT_EQ(replace_user_lines("x:1", "al", "al:new\n"), "x:1\nal:new\n");
}

}  // namespace
}  // namespace kpp::auth
