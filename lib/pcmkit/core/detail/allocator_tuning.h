// Keeps freed large blocks in the process's heap instead of handing them back to the kernel.
// A network's activations (megabytes per layer) are allocated and freed layer after layer; with
// glibc's defaults (blocks above a moving threshold mapped and unmapped, the heap trimmed on
// free) every one of them page-faulted afresh: AdaBS's whole-batch passes ran 3x slower, a sweep
// 1.9x. Changes no result (allocations stay aligned as Eigen asks). Process-wide: programs call
// it once at the start of main(); a library never does.
#pragma once

namespace pcmkit {

// Both glibc thresholds (mmap and trim) keep_freed_memory_in_heap() sets, in bytes.
inline constexpr int kKeptHeapBytes = 1 << 30;

void keep_freed_memory_in_heap();

}  // namespace pcmkit
