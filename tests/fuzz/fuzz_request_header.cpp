// libFuzzer target for the request pump's decoders: prefix, header and Produce acks.
// Seeds: tests/fuzz/corpus/request_header/ (the hand-written vectors of
// request_header_test.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "kpp/protocol/api_table.h"
#include "kpp/protocol/request_header.h"

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kpp::protocol;
  const bytes_view in{reinterpret_cast<const std::byte*>(data), size};

  const auto prefix = decode_request_prefix(in);
  check(prefix.has_value() == (size >= request_prefix_size));
  if (!prefix) check(prefix.error().offset < request_prefix_size);

  const auto header = decode_request_header(in);
  if (header) {
    // A header lies within the input, begins with the prefix and has the version the table
    // gives for its key and version.
    check(prefix.has_value());
    check(header->size <= size && header->size >= request_prefix_size);
    check(header->api_key == prefix->api_key && header->api_version == prefix->api_version &&
          header->correlation_id == prefix->correlation_id);
    const auto hv = request_header_version(header->api_key, header->api_version);
    check(hv.has_value() && *hv == header->header_version);
    if (header->header_version == 0) check(!header->client_id && header->size == 8);
    if (header->client_id) {
      const auto* p = reinterpret_cast<const std::byte*>(header->client_id->data());
      check(p >= in.data() && p + header->client_id->size() <= in.data() + size);
    }
  } else {
    check(header.error().offset <= size);
  }

  const auto acks = decode_produce_acks(in);
  if (acks) {
    // acks needs a decodable Produce header followed by at least the two acks bytes.
    check(header.has_value() && header->api_key == api_key::produce);
    check(header->size + 2 <= size);
  } else {
    check(acks.error().offset <= size);
    if (header && header->api_key == api_key::produce) {
      check(acks.error().offset >= header->size);
    }
  }
  return 0;
}
