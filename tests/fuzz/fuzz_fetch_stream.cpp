// libFuzzer target: the streamed walk over flexible Fetch responses and the tail rewrite.
// Input: first byte = version (mod 20, so invalid versions are exercised too), rest = the
// payload (response header v1 + body). Checks: the outcome does not depend on how the payload
// is chunked; a completed walk agrees with the assembled scan; the rewritten tail has exactly
// the announced size and is a valid section ending in the padding tag.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "fuzz_rewrite_harness.h"
#include "kpp/protocol/fetch_response.h"
#include "kpp/protocol/fetch_response_stream.h"
#include "kpp/protocol/fetch_response_tail.h"
#include "kpp/protocol/response_header.h"
#include "kpp/protocol/tagged_fields.h"
#include "kpp/protocol/wire_reader.h"

using namespace kpp::protocol;

namespace {

struct outcome {
  std::optional<error> err;
  bool done = false;
  std::size_t forwarded = 0;
  std::size_t tail_offset = 0;
  byte_buffer tail;
};

outcome walk(std::int16_t version, bytes_view payload, std::size_t chunk) {
  outcome o;
  auto s = fetch_response_stream::start(version, payload.size());
  if (!s) {
    o.err = s.error();
    return o;
  }
  for (std::size_t at = 0; at <= payload.size(); at += chunk) {
    const auto piece = payload.subspan(at, std::min(chunk, payload.size() - at));
    auto step = s->feed(piece);
    if (!step) {
      o.err = step.error();
      return o;
    }
    if (step->taken != piece.size() || step->forward > step->taken) std::abort();
    // Forwarded bytes are always a prefix: nothing is forwarded once the tail began.
    if (step->forward < step->taken && o.forwarded + step->forward != s->tail_offset()) {
      std::abort();
    }
    o.forwarded += step->forward;
    if (piece.empty()) break;
  }
  o.done = s->done();
  o.tail_offset = s->tail_offset();
  o.tail.assign(s->tail().begin(), s->tail().end());
  return o;
}

// The same error at the same place, or the same forward/tail split. (What was forwarded
// before an error depends on the chunks; the session closes then anyway.)
bool same(const outcome& a, const outcome& b) {
  if (a.err || b.err) return a.err == b.err;
  return a.done == b.done && a.forwarded == b.forwarded && a.tail == b.tail;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = kpp::fuzz::split_input(data, size, 20);
  if (!in) return 0;
  const bytes_view payload = in->body;
  const outcome whole = walk(in->version, payload, std::max<std::size_t>(payload.size(), 1));
  if (!same(whole, walk(in->version, payload, 7))) std::abort();
  if (payload.size() <= 4096 && !same(whole, walk(in->version, payload, 1))) std::abort();
  // All bytes fed: either done or failed, never waiting.
  if (whole.done == whole.err.has_value()) std::abort();
  if (!whole.done) return 0;

  if (whole.forwarded != whole.tail_offset) std::abort();
  if (!kpp::fuzz::same(whole.tail, payload.subspan(whole.tail_offset))) std::abort();
  // The strict walk accepts a subset of what the assembled scan accepts, at the same place.
  auto header = decode_response_header(payload, 1);
  if (!header) std::abort();
  auto layout = scan_fetch_response(payload.subspan(header->size), in->version);
  if (!layout || header->size + layout->tags.section_offset != whole.tail_offset) std::abort();

  const std::size_t reserve = fetch_tail_min_reserve + payload.size() % 200;
  byte_buffer out;
  auto stats = rewrite_fetch_tail(whole.tail, kpp::fuzz::odd_refusing_map, reserve, out);
  if (!stats) {
    if (!out.empty()) std::abort();
    return 0;
  }
  if (out.size() != whole.tail.size() + reserve) std::abort();
  wire_reader r{out};
  std::uint32_t last = 0;
  if (!read_tagged_fields(r,
                          [&](const tagged_field& f) {
                            last = f.tag;
                            return true;
                          }) ||
      !r.expect_end()) {
    std::abort();
  }
  if (last != stats->padding_tag) std::abort();
  return 0;
}
