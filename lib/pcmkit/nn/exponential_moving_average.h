// An exponential moving average (EMA) of a network's weights (Polyak averaging): a copy a of
// every parameter and BatchNorm running statistic, moved after each optimiser step by
//   a ← d·a + (1 − d)·w   (in float, d and 1 − d rounded to float once),
// as torch.optim.swa_utils.AveragedModel(net, avg_fn=ema, use_buffers=True) and timm's
// ModelEmaV2. It starts as a copy of the network. The averaged network usually tests better
// than the last iterate, which carries the last steps' gradient noise.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "pcmkit/nn/network.h"

namespace pcmkit::nn {

class ExponentialMovingAverage {
 public:
  // Copies the network's values now. The network must outlive this object.
  // Requires: 0 ≤ decay < 1 (PCMKIT_CHECK).
  ExponentialMovingAverage(Network& network, double decay);

  // a ← d·a + (1 − d)·w for every value. Threads: single-threaded, element-wise.
  void update();
  // Exchanges the averaged values with the network's (a second call undoes it), then refreshes
  // the network, so that it can be tested or saved as the average.
  void swap_with_network();

  double decay() const { return decay_; }
  // The averaged values, one per entry of network.parameters(), named as they are.
  struct Values {
    std::string name;
    std::span<float> values;
  };
  std::vector<Values> values();

 private:
  Network& network_;
  double decay_;
  std::vector<std::span<float>> live_;
  std::vector<std::string> names_;
  std::vector<std::vector<float>> average_;
};

// Swaps the average into the network for the lifetime of the guard (nothing when null).
class ScopedAverageWeights {
 public:
  explicit ScopedAverageWeights(ExponentialMovingAverage* average) : average_(average) {
    if (average_) average_->swap_with_network();
  }
  ~ScopedAverageWeights() {
    if (average_) average_->swap_with_network();
  }
  ScopedAverageWeights(const ScopedAverageWeights&) = delete;
  ScopedAverageWeights& operator=(const ScopedAverageWeights&) = delete;

 private:
  ExponentialMovingAverage* average_;
};

}  // namespace pcmkit::nn
