#include "kpp/protocol/fetch_response_tail.h"

#include <optional>

#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"
#include "kpp/protocol/wire_writer.h"

namespace kpp::protocol {
namespace {

struct padding_field {
  std::uint32_t tag;
  std::size_t size;  // data bytes
};

// A padding field of exactly `total` bytes: tag varint + size varint + size zero bytes. With
// the 2-byte tag, total - 2 = size + uvarint_size(size) has no answer at the points where the
// size varint widens (129, 16386, ...); those points are isolated, so the 3-byte tag, one byte
// more, always has one there.
std::optional<padding_field> padding_of(std::size_t total) {
  for (const std::uint32_t tag : {fetch_padding_tag, fetch_padding_tag_wide}) {
    const std::size_t tag_len = uvarint_size(tag);
    if (total <= tag_len) continue;
    const std::size_t rest = total - tag_len;  // size varint + data
    for (std::size_t len = 1; len <= 5 && len <= rest; ++len) {
      const std::size_t data = rest - len;
      if (data <= UINT32_MAX && uvarint_size(static_cast<std::uint32_t>(data)) == len) {
        return padding_field{tag, data};
      }
    }
  }
  return std::nullopt;
}

std::size_t offset_in(bytes_view whole, bytes_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

}  // namespace

result<fetch_tail_stats> rewrite_fetch_tail(bytes_view tail, const address_mapper& map,
                                            std::size_t reserve, byte_buffer& out) {
  if (reserve < fetch_tail_min_reserve) {
    return error{errc::invalid_value, 0, "fetch tail reserve (below the minimum)"};
  }
  wire_reader head{tail};
  const std::uint32_t count = head.uvarint("tagged fields count");
  if (!head.ok()) return head.err();
  const std::size_t entries_at = head.offset();

  std::optional<bytes_view> node_endpoints;
  std::optional<std::size_t> last_tag_at;
  std::uint32_t last_tag = 0;
  wire_reader r{tail};
  const auto visit = [&](const tagged_field& f) {
    if (f.tag == 0) node_endpoints = f.data;  // KIP-951 NodeEndpoints
    last_tag = f.tag;
    last_tag_at = offset_in(tail, f.data);
    return true;
  };
  if (!read_tagged_fields(r, visit) || !r.expect_end("top-level tagged fields")) return r.err();
  // The padding goes last and tags ascend: it must be above every tag present.
  if (last_tag_at && last_tag >= fetch_padding_tag) {
    return error{errc::invalid_value, *last_tag_at, "top-level tag (at or above the padding tag)"};
  }

  // Tag 0 comes first (tags ascend), so every other tag is the run after its data.
  bytes_view others = tail.subspan(entries_at);
  byte_buffer rewritten;
  rewrite_stats rewrite;
  if (node_endpoints) {
    wire_reader nr{*node_endpoints};
    wire_writer nw{rewritten};
    if (!rewrite_node_endpoints(nr, map, nw, rewrite) || !nr.expect_end("node_endpoints")) {
      error e = nr.err();
      e.offset += offset_in(tail, *node_endpoints);
      return e;
    }
    others = tail.subspan(offset_in(tail, *node_endpoints) + node_endpoints->size());
  }

  const std::size_t target = tail.size() + reserve;
  constexpr std::size_t padding_min = 3;  // 2-byte tag, 1-byte size, no data
  bool keep = node_endpoints.has_value();
  std::uint32_t new_count = count + 1;  // + padding
  std::size_t base = 0;
  if (keep) {
    const auto size = static_cast<std::uint32_t>(rewritten.size());
    base = uvarint_size(new_count) + uvarint_size(0) + uvarint_size(size) + size + others.size();
    keep = base + padding_min <= target;
  }
  fetch_tail_stats stats;
  if (!keep) {
    if (node_endpoints) {
      stats.node_endpoints_dropped = true;
      new_count = count;  // - NodeEndpoints + padding
    }
    base = uvarint_size(new_count) + others.size();
  }
  const auto padding = base + padding_min <= target ? padding_of(target - base) : std::nullopt;
  if (!padding) return error{errc::invalid_value, 0, "fetch tail reserve (too small)"};

  const std::size_t mark = out.size();
  out.reserve(mark + target);
  wire_writer w{out};
  w.uvarint(new_count);
  if (keep) {
    write_tagged_field(w, 0, rewritten);
    stats.addresses = rewrite.addresses;
  }
  w.raw(others);
  w.uvarint(padding->tag);
  w.uvarint(static_cast<std::uint32_t>(padding->size));
  out.insert(out.end(), padding->size, std::byte{0});
  stats.padding_tag = padding->tag;
  stats.padding = padding->size;
  if (out.size() - mark != target) {  // the arithmetic above is exact; never forward a lie
    out.resize(mark);
    return error{errc::invalid_value, 0, "fetch tail size"};
  }
  return stats;
}

}  // namespace kpp::protocol
