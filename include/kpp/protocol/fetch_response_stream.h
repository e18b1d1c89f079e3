// A resumable walk over a flexible Fetch response (v12-v18) as it arrives from the socket, so
// the response can be forwarded through a fixed buffer instead of being assembled: KIP-951's
// NodeEndpoints is a top-level tagged field at the very end of the frame, while the frame's
// size comes first (DESIGN.md, "The hot path").
//
// The walker is fed the payload (everything after the 4-byte size: response header v1, then
// the body laid out in fetch_response.h) in chunks of any size, in order. It answers how many
// of each chunk's bytes may be forwarded verbatim (everything before the top-level tagged
// section) and keeps the rest, the top-level section, which is small and is rewritten by
// rewrite_fetch_tail (fetch_response_tail.h). Every field is walked element by element with a
// few bytes of state, so no structure needs to be contiguous in the caller's buffer: Records
// and topic names are skipped by their lengths, never buffered. The only allocation is the
// tail, sized by the bytes the frame has left and refused beyond `tail_limit`.
//
// Checks match scan_fetch_response, plus the strict reads of strict_reads.h (every varint in
// its shortest form): a count whose smallest elements cannot fit in the bytes left is
// bad_length, a length past the frame bad_length, a fixed field past it truncated, and a
// section that ends before the frame trailing_bytes. Errors are found as soon as the frame
// end makes them certain, so once all `payload_size` bytes are fed the walk is either done()
// or failed. Error offsets are payload offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kpp/protocol/bytes.h"
#include "kpp/protocol/error.h"

namespace kpp::protocol {

// The default bound on the top-level tagged section: NodeEndpoints for a few hundred brokers.
inline constexpr std::size_t fetch_tail_limit = 64 * 1024;

struct fetch_stream_step {
  std::size_t taken = 0;    // bytes of the chunk consumed: all of it, up to the frame's end
  std::size_t forward = 0;  // of those, the leading bytes to forward verbatim now
};

class fetch_response_stream {
 public:
  // `payload_size` is the frame's size field. unknown_version outside v12-v18.
  [[nodiscard]] static result<fetch_response_stream> start(
      std::int16_t version, std::size_t payload_size, std::size_t tail_limit = fetch_tail_limit);

  // The next bytes of the payload. Bytes past the frame's end are not taken. The first error
  // is sticky: every later call returns it.
  [[nodiscard]] result<fetch_stream_step> feed(bytes_view chunk);

  // Payload bytes just ahead that the walk would only skip and forward (a Records blob, a
  // name, before the top-level section): the caller may forward them without feeding them.
  [[nodiscard]] std::size_t skippable() const noexcept {
    return !failed_ && skipping_ && !in_tail_ ? skip_left_ : 0;
  }
  // Accounts for `n` <= skippable() bytes forwarded unseen; false (and nothing changes) for
  // more.
  [[nodiscard]] bool skip_unseen(std::size_t n) noexcept;

  // The whole payload was walked; tail() is complete.
  [[nodiscard]] bool done() const noexcept { return phase_ == phase::done; }
  // The top-level tagged section (count included) as received; complete once done().
  [[nodiscard]] bytes_view tail() const noexcept { return tail_; }
  // Where the top-level section starts in the payload (valid once it has been reached).
  [[nodiscard]] std::size_t tail_offset() const noexcept { return tail_start_; }
  // Payload bytes consumed so far.
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  enum class phase : std::uint8_t {
    correlation_id,     // int32
    body_head,          // ThrottleTimeMs int32, ErrorCode int16, SessionId int32
    topic_count,        // compact array
    topic_name,         // compact string (v12): length, then the bytes
    topic_id,           // uuid (v13+)
    partition_count,    // compact array
    partition_head,     // PartitionIndex .. LogStartOffset: 30 bytes
    aborted_count,      // compact nullable array
    aborted_txn,        // ProducerId int64, FirstOffset int64, then a tagged section
    preferred_replica,  // int32
    records,            // compact nullable records: length, then the bytes
    tag_count,          // a tagged section (section_ says which)
    tag_number,
    tag_size,
    tag_data,
    done,
  };
  // Which tagged section is being walked, so its end knows where the walk resumes.
  enum class section : std::uint8_t { header, aborted_txn, partition, topic, top_level };

  fetch_response_stream(bool by_id, std::size_t payload_size, std::size_t tail_limit);

  [[nodiscard]] std::size_t remaining() const noexcept { return payload_size_ - offset_; }
  [[nodiscard]] std::string_view field() const noexcept;  // the field being read, for errors
  bool fail(errc code, std::size_t at);
  // Start a phase: a fixed-size skip or a varint read.
  void expect_fixed(phase p, std::size_t n);
  void expect_varint(phase p);
  void skip_bytes(std::size_t n);  // the body of a length-prefixed field
  void begin_section(section s);
  // What follows a completed item.
  void after_skip();
  void after_varint(std::uint32_t v);
  void after_section();
  void next_topic();
  void next_partition();
  void next_aborted_txn();
  void next_tag();
  // A compact (N+1) non-nullable count just read at var_start_; false once failed.
  bool check_count(std::uint32_t v, std::size_t min_element);

  bool by_id_;
  std::size_t payload_size_;
  std::size_t tail_limit_;
  std::size_t offset_ = 0;
  phase phase_ = phase::correlation_id;
  section section_ = section::header;
  std::size_t skip_left_ = 0;  // bytes of the current skip still to come
  bool skipping_ = false;      // a skip (rather than a varint) is in progress
  // The varint being read: value so far, its bytes, where it started.
  std::uint32_t var_value_ = 0;
  std::uint8_t var_len_ = 0;
  std::size_t var_start_ = 0;
  std::uint32_t topics_left_ = 0;
  std::uint32_t partitions_left_ = 0;
  std::uint32_t aborted_left_ = 0;
  std::uint32_t tags_left_ = 0;
  std::uint32_t prev_tag_ = 0;
  bool first_tag_ = true;
  std::size_t tail_start_ = 0;
  bool in_tail_ = false;
  byte_buffer tail_;
  bool failed_ = false;
  error err_{};
};

}  // namespace kpp::protocol
