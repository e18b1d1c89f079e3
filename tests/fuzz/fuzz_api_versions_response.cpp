// libFuzzer target: ApiVersions response decode/encode (v0-v4), the KIP-511 fallback and
// the cap. Input: first byte = requested version (as int8, so negative and future versions
// are exercised), rest = body.
#include <algorithm>
#include <cstdlib>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/api_versions_response.h"

using namespace kpp::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto version = static_cast<std::int16_t>(static_cast<std::int8_t>(data[0]));
  const bytes_view body{reinterpret_cast<const std::byte*>(data + 1), size - 1};
  if (auto decoded = decode_api_versions_response(body, version)) {
    // Whatever decodes re-encodes to a body that decodes to the same re-encoding (the
    // input may spell a varint non-minimally, so byte equality with it is not required).
    byte_buffer again;
    encode_api_versions_response(*decoded, version, again);
    auto redecoded = decode_api_versions_response(again, version);
    if (!redecoded) std::abort();
    byte_buffer twice;
    encode_api_versions_response(*redecoded, version, twice);
    if (twice != again) std::abort();
  }
  byte_buffer out;
  auto stats = cap_api_versions(body, version, out);
  if (stats && stats->changed) {
    // The capped answer offers no unknown key and nothing above the table's maximum for an
    // address-carrying API.
    auto any = decode_api_versions_response_any(body, version);
    if (!any) std::abort();
    auto capped = decode_api_versions_response(out, any->format_version);
    if (!capped) std::abort();
    for (const auto& k : capped->api_keys) {
      const api_info* api = find_api(k.api_key);
      if (api == nullptr) std::abort();
      if (api->action != response_action::stream && k.max_version > api->max_version) {
        std::abort();
      }
    }
  } else if (!out.empty()) {
    std::abort();
  }
  return 0;
}
