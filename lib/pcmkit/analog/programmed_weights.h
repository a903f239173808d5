// One layer's weights programmed onto differential pairs of PCM devices (Joshi et al. 2020):
//   W_max = max|W|,  G+ = G_max·max(w, 0)/W_max,  G− = G_max·max(−w, 0)/W_max   (targets)
// each device programmed, given its drift exponent, then drifted and read per pcm_model.h, and
//   W(t) = (G+(t) − G−(t))·W_max/G_max.
// Program once, read many times: the devices keep G_prog and ν; every read draws fresh read noise.
// Global drift compensation (GDC): α(t) = Σ|W(t_ref)| / Σ|W(t)|, with W(t_ref) a read at
// t_ref = t0 right after programming; the layer's output is multiplied by α(t) in digital.
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

  // W(t) from one read of every device at t_s ≥ t0 (InputError otherwise). The same read_index
  // gives the same read noise. Random: kRead stream of the seed.
  Eigen::ArrayXf read_weights(double t_s, std::uint64_t read_index) const;

  double w_max() const { return w_max_; }
  Eigen::Index size() const { return size_; }

 private:
  device::PcmModel model_;
  device::DevicePopulation devices_;  // G+ devices at even, G− devices at odd positions
  std::uint64_t seed_;
  double w_max_ = 0.0;
  Eigen::Index size_ = 0;
};

// α = Σ|w_ref| / Σ|w_t|; 1 when Σ|w_t| is 0. Requires: equal sizes.
double global_drift_compensation(const Eigen::Ref<const Eigen::ArrayXf>& w_ref,
                                 const Eigen::Ref<const Eigen::ArrayXf>& w_t);

}  // namespace pcmkit::analog
