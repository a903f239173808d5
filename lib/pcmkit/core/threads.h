// The number of threads pcmkit's parallel loops use. Results never depend on it.
#pragma once

namespace pcmkit {

// More threads than any machine we run on has cores; a larger request is a typo, and OpenMP
// would fail to create (or to allocate for) that many.
inline constexpr int kMaxThreads = 1024;

// Sets the thread count for later calls (1 ≤ n ≤ kMaxThreads); n = 0 keeps the default (all
// cores). Errors: InputError{"", "threads", problem} for n outside 0..kMaxThreads.
void set_num_threads(int n);
int num_threads();

}  // namespace pcmkit
