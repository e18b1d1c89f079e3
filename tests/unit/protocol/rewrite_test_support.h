// Shared by the protocol codec and rewrite tests: the proxy's mapper in miniature, and the
// plumbing that keeps the fuzz corpus made of the tests' golden vectors.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"

namespace kpp::test {

// Node n -> "b<n>.proxy.test":9000+n; node 99 (the tests' "unknown" node) is refused.
inline std::optional<protocol::advertised_endpoint> proxy_map(const protocol::endpoint& e) {
  if (e.node_id == 99) return std::nullopt;
  return protocol::advertised_endpoint{"b" + std::to_string(e.node_id) + ".proxy.test",
                                       9000 + e.node_id};
}

// With KPP_FUZZ_SEED_DIR set, golden inputs are also written as fuzz seeds
// (<dir>/<target>/<name>: version byte + body), so the corpus comes from these vectors.
inline void write_seed(const char* target, const std::string& name, std::uint8_t version,
                       std::span<const std::byte> body) {
  const char* dir = std::getenv("KPP_FUZZ_SEED_DIR");
  if (dir == nullptr) return;
  const auto path = std::filesystem::path(dir) / target;
  std::filesystem::create_directories(path);
  std::ofstream f(path / name, std::ios::binary);
  f.put(static_cast<char>(version));
  f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
}

// The fuzz seeds in tests/fuzz/corpus/<target>/ are golden vectors with the version byte in
// front (the fuzz target's input format), one file per case named after it. With
// KPP_WRITE_FUZZ_CORPUS=1 they are rewritten from the vectors; otherwise the checked-in files
// must match, so seeds and vectors cannot drift. Each case has .name and .version;
// body_of(case) gives its body.
template <class Cases, class BodyOf>
void expect_fuzz_corpus_holds(std::string_view target, const Cases& cases, BodyOf body_of) {
  const auto dir = std::filesystem::path(KPP_SOURCE_DIR) / "tests/fuzz/corpus" / target;
  const bool write = std::getenv("KPP_WRITE_FUZZ_CORPUS") != nullptr;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string seed(1, static_cast<char>(c.version));
    const protocol::byte_buffer body = body_of(c);
    seed.append(reinterpret_cast<const char*>(body.data()), body.size());
    std::string file;
    for (char ch : c.name) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
      if (keep) {
        file += ch;
      } else if (!file.empty() && file.back() != '_') {
        file += '_';
      }
    }
    const auto path = dir / file;
    if (write) {
      std::filesystem::create_directories(dir);
      std::ofstream(path, std::ios::binary) << seed;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path << " missing: run with KPP_WRITE_FUZZ_CORPUS=1";
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), seed);
  }
}

}  // namespace kpp::test
