// Counter-based random numbers (Philox4x32-10, Random123): a draw is a pure function of
// (seed, stream, item, draw index), so results depend on the seed only, never on thread count
// or evaluation order.
#pragma once

#include <cstdint>

namespace pcmkit {

// Named streams keep the quantities of one model independent of each other.
enum class RandomStream : std::uint32_t {
  kProgramming = 1,    // programming noise ξ, one per device
  kDriftExponent = 2,  // ν draw, one per device
  kRead = 3,           // read noise, one per (device, read)
  kTrace = 4,          // 1/f trace synthesis, many per trace
  kNonConverged = 5,   // which devices fail to converge, and where they end up
  kShuffle = 6,        // training: the order of the images in each epoch
  kAugmentation = 7,   // training: random crop offsets and flips, per (epoch, image)
  kWeightNoise = 8,    // training: injected weight noise δW, per (step, weight)
  kWeightInit = 9,     // training from scratch: initial network weights, one per layer
  kFitError = 10,      // adequacy check: a replicate's level parameters moved by their errors
  kBatchMixing = 11,   // training: mixup and CutMix, per step (whether, λ, the box, the partners)
  kUser = 100,         // first value free for callers
};

// A stateless generator. Copyable and cheap; safe to share across threads.
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, RandomStream stream);

  // Standard normal number for (item, draw). Random: one Philox block per pair of draws.
  double normal(std::uint64_t item, std::uint64_t draw) const;
  // Uniform in (0, 1) for (item, draw).
  double uniform(std::uint64_t item, std::uint64_t draw) const;

 private:
  std::uint64_t seed_;
  std::uint32_t stream_;
};

}  // namespace pcmkit
