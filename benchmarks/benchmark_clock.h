// Wall time for the benchmark programs: a monotonic clock and seconds since a start.
#pragma once

#include <chrono>

namespace pcmkit::benchmark {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace pcmkit::benchmark
