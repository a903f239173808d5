#include "pcmkit/analog/weight_noise.h"

#include <cmath>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"

namespace pcmkit::analog {

constexpr std::uint64_t kMaxLayers = 4096;

void inject_weight_noise(std::span<const nn::AnalogLayerRef> layers,
                         double eta,
                         std::uint64_t seed,
                         std::uint64_t step) {
  PCMKIT_CHECK(eta >= 0.0, "inject_weight_noise: eta < 0");
  PCMKIT_CHECK(layers.size() < kMaxLayers, "inject_weight_noise: too many layers");
  const CounterRng rng(seed, RandomStream::kWeightNoise);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const nn::RowMatrixXf& w = layers[l].layer->master_weight();
    const double sigma = eta * static_cast<double>(w.cwiseAbs().maxCoeff());
    const std::uint64_t item = step * kMaxLayers + l;
    nn::RowMatrixXf noisy(w.rows(), w.cols());
    const float* src = w.data();
    float* dst = noisy.data();
    const auto size = static_cast<std::int64_t>(w.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < size; ++k)
      dst[k] = src[k] + static_cast<float>(sigma * rng.normal(item, static_cast<std::uint64_t>(k)));
    layers[l].layer->set_effective_weight(std::move(noisy));
  }
}

void clear_weight_noise(std::span<const nn::AnalogLayerRef> layers) {
  for (const nn::AnalogLayerRef& l : layers) l.layer->clear_effective_weight();
}

void clip_weights(std::span<const nn::AnalogLayerRef> layers, double alpha) {
  PCMKIT_CHECK(alpha > 0.0, "clip_weights: alpha <= 0");
  for (const nn::AnalogLayerRef& l : layers) {
    nn::RowMatrixXf& w = l.layer->master_weight();
    if (w.size() < 2) continue;
    // In double: the sum of ~10^5 squares in float would lose the bits the clip bound needs.
    const Eigen::ArrayXd v = Eigen::Map<const Eigen::ArrayXf>(w.data(), w.size()).cast<double>();
    const double mean = v.mean();
    const double std = std::sqrt((v - mean).square().sum() / static_cast<double>(v.size() - 1));
    const auto bound = static_cast<float>(alpha * std);
    w = w.cwiseMax(-bound).cwiseMin(bound);
  }
}

}  // namespace pcmkit::analog
