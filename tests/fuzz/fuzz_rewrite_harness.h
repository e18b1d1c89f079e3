// Shared by the response fuzz targets: the input format, the fuzz mappers and the checks every
// rewrite must pass. Each target keeps its own LLVMFuzzerTestOneInput and API-specific checks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "kpp/protocol/address_mapper.h"
#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::fuzz {

using protocol::advertised_endpoint;
using protocol::byte_buffer;
using protocol::bytes_view;
using protocol::endpoint;

// A fuzz input: first byte = version (mod `versions`, so one past the last known version
// exercises the unknown-version path), the rest = body. nullopt for an empty input.
struct versioned_body {
  std::int16_t version;
  bytes_view body;
};
inline std::optional<versioned_body> split_input(const std::uint8_t* data, std::size_t size,
                                                 int versions) {
  if (size == 0) return std::nullopt;
  return versioned_body{static_cast<std::int16_t>(data[0] % versions),
                        bytes_view(reinterpret_cast<const std::byte*>(data + 1), size - 1)};
}

inline bool same(bytes_view a, bytes_view b) {
  return std::ranges::equal(a, b);
}

// For the decoded codecs. Refuses node 666 so the unmapped path is reachable; negative ids
// pass as ""/-1; controllers get their own hosts, brokers "b<n>.px":31000+n%1000 (no overflow near
// INT32_MAX).
inline std::optional<advertised_endpoint> fixed_map(const endpoint& e) {
  if (e.node_id == 666) return std::nullopt;
  if (e.node_id < 0) return advertised_endpoint{"", -1};
  const char* prefix = e.kind == protocol::endpoint_kind::controller ? "c" : "b";
  return advertised_endpoint{prefix + std::to_string(e.node_id) + ".px", 31000 + e.node_id % 1000};
}

// For the walked responses. Refuses odd node ids, so both the mapped and the fail-closed
// paths run.
inline std::optional<advertised_endpoint> odd_refusing_map(const endpoint& e) {
  if (e.node_id % 2 != 0) return std::nullopt;
  return advertised_endpoint{"b" + std::to_string(e.node_id) + ".fuzz", 9000};
}

// A decoded codec's run: the decode, and the rewrite appended after a one-byte header.
template <class View>
struct strict_run {
  protocol::result<View> view;
  protocol::result<protocol::rewrite_stats> stats;
  byte_buffer out;
  [[nodiscard]] bytes_view rewritten() const { return bytes_view(out).subspan(1); }
};

// Whatever decodes re-encodes to exactly the input (these codecs reject non-minimal
// varints), and the rewrite leaves `out` untouched unless something changed.
template <class Decode, class Encode, class Rewrite>
auto run_strict_codec(const versioned_body& in, Decode decode, Encode encode, Rewrite rewrite) {
  auto view = decode(in.body, in.version);
  if (view) {
    byte_buffer again;
    if (!encode(*view, again) || !same(again, in.body)) __builtin_trap();
  }

  const byte_buffer header{std::byte{0x5A}};
  byte_buffer out = header;
  auto stats = rewrite(in.body, in.version, fixed_map, out);
  if (!stats || !stats->changed) {
    if (out != header) __builtin_trap();  // untouched unless something changed
  }
  using view_t = std::remove_cvref_t<decltype(*view)>;
  return strict_run<view_t>{std::move(view), std::move(stats), std::move(out)};
}

// A walked response's rewrite: a rewritten body must walk again, and an unchanged or failed
// one leaves out empty.
template <class Scan, class Rewrite>
void check_walk_rewrite(const versioned_body& in, Scan scan, Rewrite rewrite,
                        const protocol::address_mapper& map) {
  byte_buffer out;
  auto stats = rewrite(in.body, in.version, map, out);
  if (stats && stats->changed) {
    if (!scan(out, in.version)) std::abort();
  } else if (!out.empty()) {
    std::abort();
  }
}

}  // namespace kpp::fuzz
