#include "kpp/protocol/fetch_response_stream.h"

#include <algorithm>

#include "fetch_layout.h"
#include "kpp/protocol/fetch_response.h"

namespace kpp::protocol {

// The element sizes scan_fetch_response checks counts against.
using namespace detail::fetch_layout;

result<fetch_response_stream> fetch_response_stream::start(std::int16_t version,
                                                           std::size_t payload_size,
                                                           std::size_t tail_limit) {
  if (version < fetch_first_flexible || version > fetch_max_rewritten) {
    return error{errc::unknown_version, 0, "fetch response version"};
  }
  // Fetch v13 (KIP-516) replaced the topic name by a 16-byte TopicId.
  return fetch_response_stream{version >= 13, payload_size, tail_limit};
}

fetch_response_stream::fetch_response_stream(bool by_id, std::size_t payload_size,
                                             std::size_t tail_limit)
    : by_id_(by_id), payload_size_(payload_size), tail_limit_(tail_limit) {
  expect_fixed(phase::correlation_id, 4);
}

std::string_view fetch_response_stream::field() const noexcept {
  switch (phase_) {
    case phase::correlation_id:
      return "correlation_id";
    case phase::body_head:
      return "throttle_time_ms";
    case phase::topic_count:
      return "responses";
    case phase::topic_name:
      return "responses[].topic";
    case phase::topic_id:
      return "responses[].topic_id";
    case phase::partition_count:
      return "responses[].partitions";
    case phase::partition_head:
      return "responses[].partitions[]";
    case phase::aborted_count:
      return "responses[].partitions[].aborted_transactions";
    case phase::aborted_txn:
      return "aborted_transactions[]";
    case phase::preferred_replica:
      return "responses[].partitions[].preferred_read_replica";
    case phase::records:
      return "responses[].partitions[].records";
    case phase::tag_count:
      return "tagged fields count";
    case phase::tag_number:
      return "tagged field tag";
    case phase::tag_size:
      return "tagged field size";
    case phase::tag_data:
      return "tagged field data";
    case phase::done:
      break;
  }
  return "end of message";
}

bool fetch_response_stream::fail(errc code, std::size_t at) {
  if (!failed_) {
    failed_ = true;
    err_ = error{code, at, field()};
  }
  return false;
}

void fetch_response_stream::expect_fixed(phase p, std::size_t n) {
  phase_ = p;
  if (n > remaining()) {
    fail(errc::truncated, offset_);
    return;
  }
  skipping_ = true;
  skip_left_ = n;
}

void fetch_response_stream::expect_varint(phase p) {
  phase_ = p;
  skipping_ = false;
  var_value_ = 0;
  var_len_ = 0;
  var_start_ = offset_;
  if (remaining() == 0) fail(errc::truncated, offset_);
}

void fetch_response_stream::skip_bytes(std::size_t n) {
  if (n == 0) {
    after_skip();
    return;
  }
  skipping_ = true;
  skip_left_ = n;
}

bool fetch_response_stream::check_count(std::uint32_t v, std::size_t min_element) {
  if (v == 0) return fail(errc::negative_length, var_start_);  // null where not allowed
  // As wire_reader::array_length: no count larger than its smallest elements allow escapes.
  if (std::uint64_t{v - 1} * min_element > remaining()) {
    return fail(errc::bad_length, var_start_);
  }
  return true;
}

void fetch_response_stream::begin_section(section s) {
  section_ = s;
  if (s == section::top_level) {
    // Everything from here to the frame's end is the tail: bounded before it is reserved.
    in_tail_ = true;
    tail_start_ = offset_;
    phase_ = phase::tag_count;
    if (remaining() > tail_limit_) {
      fail(errc::bad_length, offset_);
      return;
    }
    tail_.reserve(remaining());
  }
  expect_varint(phase::tag_count);
}

void fetch_response_stream::next_topic() {
  if (topics_left_ == 0) {
    begin_section(section::top_level);
    return;
  }
  --topics_left_;
  if (by_id_) {
    expect_fixed(phase::topic_id, 16);
  } else {
    expect_varint(phase::topic_name);
  }
}

void fetch_response_stream::next_partition() {
  if (partitions_left_ == 0) {
    begin_section(section::topic);
    return;
  }
  --partitions_left_;
  expect_fixed(phase::partition_head, partition_head);
}

void fetch_response_stream::next_aborted_txn() {
  if (aborted_left_ == 0) {
    expect_fixed(phase::preferred_replica, 4);
    return;
  }
  --aborted_left_;
  expect_fixed(phase::aborted_txn, aborted_fixed);
}

void fetch_response_stream::next_tag() {
  if (tags_left_ == 0) {
    after_section();
    return;
  }
  --tags_left_;
  expect_varint(phase::tag_number);
}

void fetch_response_stream::after_section() {
  switch (section_) {
    case section::header:
      expect_fixed(phase::body_head, body_head);
      return;
    case section::aborted_txn:
      next_aborted_txn();
      return;
    case section::partition:
      next_partition();
      return;
    case section::topic:
      next_topic();
      return;
    case section::top_level:
      phase_ = phase::done;
      if (remaining() != 0) fail(errc::trailing_bytes, offset_);
      return;
  }
}

void fetch_response_stream::after_skip() {
  switch (phase_) {
    case phase::correlation_id:
      begin_section(section::header);
      return;
    case phase::body_head:
      expect_varint(phase::topic_count);
      return;
    case phase::topic_name:
    case phase::topic_id:
      expect_varint(phase::partition_count);
      return;
    case phase::partition_head:
      expect_varint(phase::aborted_count);
      return;
    case phase::aborted_txn:
      begin_section(section::aborted_txn);
      return;
    case phase::preferred_replica:
      expect_varint(phase::records);
      return;
    case phase::records:
      begin_section(section::partition);
      return;
    case phase::tag_data:
      next_tag();
      return;
    default:
      return;  // varint phases never skip
  }
}

void fetch_response_stream::after_varint(std::uint32_t v) {
  switch (phase_) {
    case phase::topic_count:
      // Topic: TopicId 16 (or Name 1) + Partitions 1 + tags 1 at the least.
      if (!check_count(v, (by_id_ ? 16 : 1) + 2)) return;
      topics_left_ = v - 1;
      next_topic();
      return;
    case phase::topic_name:
      if (v == 0) {
        fail(errc::negative_length, var_start_);  // a null topic name
      } else if (v - 1 > remaining()) {
        fail(errc::bad_length, var_start_);
      } else {
        skip_bytes(v - 1);
      }
      return;
    case phase::partition_count:
      if (!check_count(v, partition_min)) return;
      partitions_left_ = v - 1;
      next_partition();
      return;
    case phase::aborted_count:
      aborted_left_ = 0;  // 0: a null array
      if (v != 0) {
        if (!check_count(v, aborted_min)) return;
        aborted_left_ = v - 1;
      }
      next_aborted_txn();
      return;
    case phase::records:
      // Skipped by length, never looked into: their content is the client's.
      if (v != 0 && v - 1 > remaining()) {
        fail(errc::bad_length, var_start_);
      } else {
        skip_bytes(v == 0 ? 0 : v - 1);
      }
      return;
    case phase::tag_count:
      // Each entry is at least a 1-byte tag and a 1-byte size.
      if (v > remaining() / 2) {
        fail(errc::bad_length, var_start_);
        return;
      }
      tags_left_ = v;
      first_tag_ = true;
      next_tag();
      return;
    case phase::tag_number:
      // KIP-482: strictly ascending, each tag at most once.
      if (!first_tag_ && v <= prev_tag_) {
        fail(errc::bad_tag_order, var_start_);
        return;
      }
      first_tag_ = false;
      prev_tag_ = v;
      expect_varint(phase::tag_size);
      return;
    case phase::tag_size:
      if (v > remaining()) {
        fail(errc::bad_length, var_start_);
        return;
      }
      phase_ = phase::tag_data;
      skip_bytes(v);
      return;
    default:
      return;  // fixed phases never read a varint
  }
}

bool fetch_response_stream::skip_unseen(std::size_t n) noexcept {
  if (n == 0 || n > skippable()) return n == 0;
  offset_ += n;
  skip_left_ -= n;
  if (skip_left_ == 0) {
    skipping_ = false;
    after_skip();
  }
  return true;
}

result<fetch_stream_step> fetch_response_stream::feed(bytes_view chunk) {
  if (failed_) return err_;
  const std::size_t base = offset_;
  const std::size_t n = std::min(chunk.size(), remaining());
  std::size_t i = 0;
  while (!failed_ && phase_ != phase::done && i < n) {
    if (skipping_) {
      const std::size_t take = std::min(skip_left_, n - i);
      i += take;
      offset_ += take;
      skip_left_ -= take;
      if (skip_left_ == 0) {
        skipping_ = false;
        after_skip();
      }
      continue;
    }
    const auto b = static_cast<std::uint8_t>(chunk[i]);
    ++i;
    ++offset_;
    // The 5th byte carries bits 28..31 only (wire_reader::uvarint).
    if (var_len_ == 4 && b > 0x0F) {
      fail(errc::varint_overflow, var_start_);
      break;
    }
    var_value_ |= static_cast<std::uint32_t>(b & 0x7F) << (7 * var_len_);
    ++var_len_;
    if ((b & 0x80) != 0) {
      if (remaining() == 0) fail(errc::truncated, var_start_);
      continue;
    }
    // Shortest form only (strict_reads.h): a longer one ends in a zero byte.
    if (var_len_ > 1 && b == 0) {
      fail(errc::invalid_value, var_start_);
      break;
    }
    after_varint(var_value_);
  }
  if (failed_) return err_;
  fetch_stream_step step{.taken = i, .forward = i};
  if (in_tail_) {
    step.forward = tail_start_ > base ? std::min(tail_start_ - base, i) : 0;
    tail_.insert(tail_.end(), chunk.begin() + static_cast<std::ptrdiff_t>(step.forward),
                 chunk.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return step;
}

}  // namespace kpp::protocol
