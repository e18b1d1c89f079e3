#include "kpp/app/allocator_tuning.h"

#include <malloc.h>

namespace kpp::app {

// OpenSSL frees a TLS connection's record buffers whenever they drain (SSL_MODE_RELEASE_BUFFERS,
// which keeps idle connections small) and allocates them again at the next record: 67 KB for
// the read-ahead buffer. With glibc's defaults, once 128 KiB sit free at the top of the heap it
// is handed back to the kernel, so under load nearly every burst trimmed the heap and faulted
// its pages in again: ~34,000 page faults per GB of librdkafka produce over a TLS client leg,
// against HAProxy's none. 2 MiB of slack per heap ends that; the memory stays bounded by it.
// Setting these fixes the mmap threshold (glibc no longer raises it on its own), so it is set
// too: allocations up to 1 MiB come from the heap, larger ones (big assembled responses) from
// mmap and go back to the kernel when freed.
void tune_allocator() noexcept {
  (void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
  (void)mallopt(M_TRIM_THRESHOLD, 2 << 20);
}

}  // namespace kpp::app
