// Progress reporting from long library calls. The library never prints: the app passes a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace pcmkit {

struct Progress {
  std::string stage;       // what is being done, e.g. "per-device drift fits"
  std::int64_t done = 0;   // items finished in this stage
  std::int64_t total = 0;  // items in this stage (0 = unknown)
};

// Called from the calling thread only (never from inside a parallel region), so it may print.
using ProgressCallback = std::function<void(const Progress&)>;

}  // namespace pcmkit
