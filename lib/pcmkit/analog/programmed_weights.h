// One layer's weights programmed onto differential pairs of PCM devices (Joshi et al. 2020), with
// the pair mapping of device/differential_pair.h and W_max = max|W|: each device is programmed to
// its target, given its drift exponent, then drifted and read per pcm_model.h, and
//   W(t) = (G+(t) − G−(t))·W_max/G_max.
// Program once, read many times: the devices keep G_prog and ν; every read draws fresh read noise.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "pcmkit/device/device_population.h"
#include "pcmkit/device/pcm_model.h"

namespace pcmkit::analog {

class ProgrammedWeights {
 public:
  // Programs `weights` (any tensor, flattened). Random: weight i uses device items
  // first_item + 2i (G+) and first_item + 2i + 1 (G−) of `seed`'s streams; give every layer its
  // own range of items. Requires: model valid; weights finite. All-zero weights give W(t) = 0.
  // Threads: OpenMP; results independent of the thread count. Cost: O(N), 2 devices per weight.
  ProgrammedWeights(const device::PcmModel& model,
                    const Eigen::Ref<const Eigen::ArrayXf>& weights,
                    std::uint64_t seed,
                    std::uint64_t first_item);

  // W(t) from one read of every device at t_s ≥ t0 (InputError otherwise). The same read_key
  // gives the same read noise (read_key_at_time gives each time its own). Random: kRead stream.
  Eigen::ArrayXf read_weights(double t_s, std::uint64_t read_key) const;

  double w_max() const { return w_max_; }
  Eigen::Index size() const { return size_; }

 private:
  device::PcmModel model_;
  device::DevicePopulation devices_;  // G+ devices at even, G− devices at odd positions
  std::uint64_t seed_;
  double w_max_ = 0.0;
  Eigen::Index size_ = 0;
};

// The read key of the read at time t_s: a function of the time's value alone, so that a read at
// one day is the same read whatever other times a run reads. Never kReferenceReadKey.
std::uint64_t read_key_at_time(double t_s);
// The key of the reference read right after programming (GDC's W(t_ref)).
inline constexpr std::uint64_t kReferenceReadKey = 0;

}  // namespace pcmkit::analog
