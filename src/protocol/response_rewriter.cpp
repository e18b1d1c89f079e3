#include "kpp/protocol/response_rewriter.h"

#include "kpp/protocol/api_versions_response.h"
#include "kpp/protocol/describe_cluster_response.h"
#include "kpp/protocol/describe_quorum_response.h"
#include "kpp/protocol/fetch_response.h"
#include "kpp/protocol/find_coordinator_response.h"
#include "kpp/protocol/metadata_response.h"
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

}  // namespace

result<rewrite_stats> rewrite_response(response_action action, std::int16_t api_key,
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
  const bytes_view body = payload.subspan(header->size);

  // No reserve here: most responses come back unchanged, and a body rewriter that does change
  // something reserves what it writes.
  const std::size_t mark = out.size();
  out.insert(out.end(), payload.begin(),
             payload.begin() + static_cast<std::ptrdiff_t>(header->size));
  auto stats = rewrite_body(action, api_version, body, map, out);
  if (!stats || !stats->changed) {
    out.resize(mark);  // unchanged or failed: `out` as the caller gave it
    if (!stats) {
      error e = stats.error();
      e.offset += header->size;  // codec offsets are body-relative; report frame offsets
      return e;
    }
  }
  return stats;
}

}  // namespace kpp::protocol
