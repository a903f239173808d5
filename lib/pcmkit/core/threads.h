// The number of threads pcmkit's parallel loops use. Results never depend on it.
#pragma once

namespace pcmkit {

// Sets the thread count for later calls (n ≥ 1); n = 0 keeps the default (all cores).
void set_num_threads(int n);
int num_threads();

}  // namespace pcmkit
