#include "kpp/protocol/response_rewriter.h"

#include <optional>

#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/describe_cluster_response.h"
#include "kpp/protocol/describe_quorum_response.h"
#include "kpp/protocol/fetch_response.h"
#include "kpp/protocol/find_coordinator_response.h"
#include "kpp/protocol/metadata_response.h"
#include "kpp/protocol/node_endpoints.h"
#include "kpp/protocol/produce_response.h"
#include "kpp/protocol/response_header.h"
#include "kpp/protocol/share_acknowledge_response.h"
#include "kpp/protocol/share_fetch_response.h"

namespace kpp::protocol {
namespace {

result<rewrite_stats> rewrite_body(response_action action, std::int16_t version, bytes_view body,
                                   const address_mapper& map, byte_buffer& out) {
  switch (action) {
    case response_action::api_versions:
      return cap_api_versions(body, version, out);
    case response_action::metadata:
      return rewrite_metadata_response(body, version, map, out);
    case response_action::find_coordinator:
      return rewrite_find_coordinator_response(body, version, map, out);
    case response_action::describe_cluster:
      return rewrite_describe_cluster_response(body, version, map, out);
    case response_action::produce:
      return rewrite_produce_response(body, version, map, out);
    case response_action::fetch:
      return rewrite_fetch_response(body, version, map, out);
    case response_action::share_fetch:
      return rewrite_share_fetch_response(body, version, map, out);
    case response_action::share_acknowledge:
      return rewrite_share_acknowledge_response(body, version, map, out);
    case response_action::describe_quorum:
      return rewrite_describe_quorum_response(body, version, map, out);
    case response_action::stream:
      break;
  }
  // A streamed response is never assembled, let alone rewritten: reaching here is a bug in
  // the caller, reported rather than guessed at.
  return error{errc::invalid_value, 0, "response action"};
}

// Where a response whose only addresses are its NodeEndpoints keeps them, found by a scan of
// the whole body (which validates it as rewrite_body would).
struct endpoints_place {
  bool tagged = false;    // tag 0 of the top-level tagged section (Produce, Fetch)
  std::size_t entry = 0;  // tagged: where the tag's number starts
  bytes_view array;       // empty: none to rewrite
};

std::optional<result<endpoints_place>> find_endpoints(response_action action, std::int16_t version,
                                                      bytes_view body) {
  const auto tagged = [](const auto& layout) -> result<endpoints_place> {
    if (!layout) return layout.error();
    const auto& tags = layout->tags;
    if (!tags.node_endpoints) return endpoints_place{};
    return endpoints_place{true, tags.entry_offset, *tags.node_endpoints};
  };
  const auto regular = [](const auto& layout) -> result<endpoints_place> {
    if (!layout) return layout.error();
    if (layout->node_endpoint_count == 0) return endpoints_place{};
    return endpoints_place{false, 0, layout->node_endpoints};
  };
  switch (action) {
    case response_action::produce:
      return tagged(scan_produce_response(body, version));
    case response_action::fetch:
      return tagged(scan_fetch_response(body, version));
    case response_action::share_fetch:
      return regular(scan_share_fetch_response(body, version));
    case response_action::share_acknowledge:
      return regular(scan_share_acknowledge_response(body, version));
    default:
      return std::nullopt;
  }
}

}  // namespace

result<response_splice> splice_response(response_action action, std::int16_t api_key,
                                        std::int16_t api_version, bytes_view payload,
                                        const address_mapper& map, byte_buffer& out) {
  if (action == response_action::stream) {
    return error{errc::invalid_value, 0, "response action (stream is never rewritten)"};
  }
  // ApiVersions answers always use header v0 (KIP-511), whatever version was asked,
  // which response_header_version knows.
  auto header_version = response_header_version(api_key, api_version);
  if (!header_version) return header_version.error();
  auto header = decode_response_header(payload, *header_version);
  if (!header) return header.error();
  const std::size_t h = header->size;
  const bytes_view body = payload.subspan(h);
  // Codec offsets are body-relative; report frame offsets.
  const auto frame_error = [h](error e) {
    e.offset += h;
    return e;
  };
  const response_splice unchanged{{}, payload.size(), 0};

  if (auto place = find_endpoints(action, api_version, body)) {
    if (!*place) return frame_error(place->error());
    const auto& p = place->value();
    if (p.array.empty()) return unchanged;
    auto stats = p.tagged ? rewrite_tagged_node_endpoints_entry(body, p.array, map, out)
                          : rewrite_node_endpoints_array(body, p.array, map, out);
    if (!stats) return frame_error(stats.error());
    if (!stats->changed) return unchanged;
    const auto array_at = static_cast<std::size_t>(p.array.data() - body.data());
    return response_splice{*stats, h + (p.tagged ? p.entry : array_at),
                           body.size() - array_at - p.array.size()};
  }
  // No reserve here: most responses come back unchanged, and a body rewriter that does change
  // something reserves what it writes.
  const std::size_t mark = out.size();
  auto stats = rewrite_body(action, api_version, body, map, out);
  if (!stats) {
    out.resize(mark);
    return frame_error(stats.error());
  }
  if (!stats->changed) {
    out.resize(mark);
    return unchanged;
  }
  return response_splice{*stats, h, 0};
}

result<rewrite_stats> rewrite_response(response_action action, std::int16_t api_key,
                                       std::int16_t api_version, bytes_view payload,
                                       const address_mapper& map, byte_buffer& out) {
  const std::size_t mark = out.size();
  auto s = splice_response(action, api_key, api_version, payload, map, out);
  if (!s) return s.error();
  if (!s->stats.changed) return s->stats;
  // The whole payload: the kept head in front of the new bytes, the kept tail after them.
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(mark), payload.begin(),
             payload.begin() + static_cast<std::ptrdiff_t>(s->head));
  out.insert(out.end(), payload.end() - static_cast<std::ptrdiff_t>(s->tail), payload.end());
  return s->stats;
}

}  // namespace kpp::protocol
