#include "pcmkit/core/detail/allocator_tuning.h"

#include <malloc.h>

namespace pcmkit {

void keep_freed_memory_in_heap() {
  // Fixed thresholds also stop glibc from moving them as blocks come and go.
  mallopt(M_MMAP_THRESHOLD, kKeptHeapBytes);  // blocks below 1 GiB come from the heap
  mallopt(M_TRIM_THRESHOLD, kKeptHeapBytes);  // keep up to 1 GiB of freed memory for reuse
}

}  // namespace pcmkit
