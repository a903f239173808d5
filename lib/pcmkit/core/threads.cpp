#include "pcmkit/core/threads.h"

#include <omp.h>

#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit {

void set_num_threads(int n) {
  if (n < 0 || n > kMaxThreads)
    throw InputError("", "threads",
                     "must be 0 (all cores) or 1.." + std::to_string(kMaxThreads) + ", got " +
                         std::to_string(n));
  if (n > 0) omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace pcmkit
