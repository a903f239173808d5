// The heap a PyTorch baseline runs with. pcmkit's programs keep freed blocks in their heap
// (core/detail/allocator_tuning.h); with glibc's defaults every multi-MB tensor PyTorch frees goes
// back to the kernel and its successor page-faults afresh. On a virtual machine, where a fault is
// costly, that alone made PyTorch 1.9x slower in training and 2.6x in inference (session 24), and
// its speed depend on the process (glibc moves its threshold as blocks come and go). So by
// default the baseline gets pcmkit's treatment, through the variables glibc reads at start
// (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_): a ratio then compares the engines, not
// the allocators. "As installed" runs PyTorch on glibc's defaults (the figures before session 24).
#pragma once

#include <cstdlib>
#include <string>

#include "pcmkit/core/detail/allocator_tuning.h"

namespace pcmkit::benchmark {

enum class PyTorchHeap { kLikePcmkit, kAsInstalled };

// From a benchmark's `torch` argument: 1 = like pcmkit, 2 = as installed (0, no PyTorch, is the
// caller's to handle).
inline PyTorchHeap pytorch_heap_from_argument(int torch) {
  return torch == 2 ? PyTorchHeap::kAsInstalled : PyTorchHeap::kLikePcmkit;
}

// Sets the variables (or removes them, as installed) for the processes started after the call;
// this process's own heap was set up at its start and does not change.
inline void set_pytorch_heap(PyTorchHeap heap) {
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
    if (heap == PyTorchHeap::kLikePcmkit)
      setenv(name, std::to_string(kKeptHeapBytes).c_str(), 1);
    else
      unsetenv(name);
  }
}

inline const char* describe(PyTorchHeap heap) {
  return heap == PyTorchHeap::kLikePcmkit ? "freed memory kept in the heap, as pcmkit"
                                          : "glibc's default heap, as installed";
}

}  // namespace pcmkit::benchmark
