#include "pcmkit/nn/exponential_moving_average.h"

#include <algorithm>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

ExponentialMovingAverage::ExponentialMovingAverage(Network& network, double decay)
    : network_(network), decay_(decay) {
  PCMKIT_CHECK(decay >= 0 && decay < 1, "ExponentialMovingAverage: decay outside [0, 1)");
  for (const ParameterRef& p : network.parameters()) {
    live_.push_back(p.values);
    names_.push_back(p.name);
    average_.emplace_back(p.values.begin(), p.values.end());
  }
}

void ExponentialMovingAverage::update() {
  const auto keep = static_cast<float>(decay_);
  const auto take = static_cast<float>(1.0 - decay_);
  for (std::size_t k = 0; k < live_.size(); ++k) {
    float* a = average_[k].data();
    const float* w = live_[k].data();
    const std::size_t n = average_[k].size();
    for (std::size_t i = 0; i < n; ++i) a[i] = keep * a[i] + take * w[i];
  }
}

void ExponentialMovingAverage::swap_with_network() {
  for (std::size_t k = 0; k < live_.size(); ++k)
    std::swap_ranges(average_[k].begin(), average_[k].end(), live_[k].begin());
  network_.refresh();
}

std::vector<ExponentialMovingAverage::Values> ExponentialMovingAverage::values() {
  std::vector<Values> v;
  for (std::size_t k = 0; k < average_.size(); ++k) v.push_back({names_[k], average_[k]});
  return v;
}

}  // namespace pcmkit::nn
