// Helpers for the nn tests: seeded random tensors and parameters, and naive reference layers.
#pragma once

#include <random>

#include "pcmkit/nn/network.h"
#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn::testing {

inline Tensor random_tensor(Index n, Index c, Index h, Index w, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t(n, c, h, w);
  for (Index k = 0; k < t.size(); ++k) t.data()[k] = u(rng);
  return t;
}

inline RowMatrixXf random_matrix(Index rows, Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  RowMatrixXf m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = u(rng);
  return m;
}

// Every parameter random; running variances in [0.5, 1.5] so that BatchNorm stays well scaled.
// Weights are scaled by 1/sqrt(fan-in) so that activations stay O(1) through deep networks.
inline void randomize(Network& network, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (ParameterRef& p : network.parameters()) {
    const bool is_var = p.name.ends_with("running_var");
    float scale = 1.0f;
    if (p.shape.size() >= 2) {
      Index fan_in = 1;
      for (std::size_t d = 1; d < p.shape.size(); ++d) fan_in *= p.shape[d];
      scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
    }
    for (float& v : p.values) v = is_var ? 1.0f + 0.5f * u(rng) : scale * u(rng);
  }
  network.refresh();
}

}  // namespace pcmkit::nn::testing
