// Internal to the protocol layer: the fixed sizes in a flexible Fetch response (v12+), shared by
// the assembled scan (fetch_response.cpp) and the streamed walk (fetch_response_stream.cpp), so
// both check counts against the same smallest elements.
#pragma once

#include <cstddef>

namespace kpp::protocol::detail::fetch_layout {

// ThrottleTimeMs 4 + ErrorCode 2 + SessionId 4.
inline constexpr std::size_t body_head = 10;
// Fixed head of a partition: PartitionIndex 4 + ErrorCode 2 + HighWatermark 8 +
// LastStableOffset 8 + LogStartOffset 8.
inline constexpr std::size_t partition_head = 30;
// Smallest partition: head + AbortedTransactions 1 + PreferredReadReplica 4 + Records 1 +
// tags 1.
inline constexpr std::size_t partition_min = partition_head + 7;
// Aborted transaction: ProducerId 8 + FirstOffset 8, then its tags (1 byte at the least).
inline constexpr std::size_t aborted_fixed = 16;
inline constexpr std::size_t aborted_min = aborted_fixed + 1;

}  // namespace kpp::protocol::detail::fetch_layout
