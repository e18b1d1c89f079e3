// The sequential policy's state file: written atomically, read back exactly, errors named.
#include "kpp/app/state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

std::string temp_file(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("kpp-state-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(StateFile, RoundTripsAndLeavesNoTemporary) {
  const auto path = temp_file("roundtrip");
  const std::map<std::int32_t, std::uint16_t> ports{{1, 9095}, {2, 9096}, {1001, 9097}};
  ASSERT_EQ(kpp::app::save_port_state(path, ports), "");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto loaded = kpp::app::load_port_state(path);
  EXPECT_EQ(loaded.error, "");
  EXPECT_EQ(loaded.ports, ports);
  std::filesystem::remove(path);
}

TEST(StateFile, MissingFileIsAnEmptyMap) {
  auto loaded = kpp::app::load_port_state(temp_file("absent"));
  EXPECT_EQ(loaded.error, "");
  EXPECT_TRUE(loaded.ports.empty());
}

TEST(StateFile, MalformedLinesNameTheLine) {
  const auto path = temp_file("bad");
  for (const char* bad : {"1 9095\n2\n", "1 70000\n", "x 9095\n1 2 3\n", "-4 9000\n"}) {
    SCOPED_TRACE(bad);
    std::ofstream(path) << bad;
    auto loaded = kpp::app::load_port_state(path);
    EXPECT_NE(loaded.error.find(path + ":"), std::string::npos) << loaded.error;
    EXPECT_TRUE(loaded.ports.empty());
  }
  std::filesystem::remove(path);
}

TEST(StateFile, CommentsAndBlankLinesAreIgnored) {
  const auto path = temp_file("comments");
  std::ofstream(path) << "# header\n\n3 9100  # broker three\n";
  auto loaded = kpp::app::load_port_state(path);
  EXPECT_EQ(loaded.error, "");
  EXPECT_EQ(loaded.ports, (std::map<std::int32_t, std::uint16_t>{{3, 9100}}));
  std::filesystem::remove(path);
}

}  // namespace
