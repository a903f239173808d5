#include "pcmkit/data/batch_mixing.h"

#include <algorithm>
#include <boost/math/distributions/beta.hpp>
#include <cmath>
#include <cstring>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/data/cifar10_training_set.h"

namespace pcmkit::data {
namespace {

// Draws of (seed, step): whether the step is mixed, λ, the box centre, then one per partner.
enum Draw : std::uint64_t { kWhether = 0, kLambda = 1, kCentreY = 2, kCentreX = 3, kPartners = 4 };

// A uniform integer in [0, n) from a uniform in (0, 1).
std::int64_t below(double u, std::int64_t n) {
  return std::min<std::int64_t>(static_cast<std::int64_t>(u * static_cast<double>(n)), n - 1);
}

}  // namespace

std::string batch_mixing_name(BatchMixingKind kind) {
  switch (kind) {
    case BatchMixingKind::kNone:
      return "none";
    case BatchMixingKind::kMixup:
      return "mixup";
    case BatchMixingKind::kCutMix:
      return "cutmix";
  }
  return "?";
}

nn::RowMatrixXf BatchMix::targets(std::span<const int> labels, nn::Index num_classes) const {
  const auto n = static_cast<nn::Index>(labels.size());
  PCMKIT_CHECK(!mixed || static_cast<nn::Index>(partners.size()) == n,
               "BatchMix::targets: labels of another batch");
  for (int label : labels)
    PCMKIT_CHECK(label >= 0 && label < num_classes, "BatchMix::targets: label outside the classes");
  nn::RowMatrixXf t = nn::RowMatrixXf::Zero(n, num_classes);
  for (nn::Index i = 0; i < n; ++i) {
    const auto own = labels[static_cast<std::size_t>(i)];
    if (!mixed) {
      t(i, own) = 1.0f;
      continue;
    }
    const auto other = labels[static_cast<std::size_t>(partners[static_cast<std::size_t>(i)])];
    t(i, own) += static_cast<float>(lambda);
    t(i, other) += static_cast<float>(1.0 - lambda);
  }
  return t;
}

BatchMix mix_batch(const BatchMixing& mixing,
                   std::uint64_t seed,
                   std::uint64_t step,
                   nn::Tensor& images) {
  PCMKIT_CHECK(mixing.alpha > 0 && std::isfinite(mixing.alpha), "mix_batch: alpha <= 0");
  PCMKIT_CHECK(mixing.probability > 0 && mixing.probability <= 1,
               "mix_batch: probability outside (0, 1]");
  const nn::Index n = images.n();
  PCMKIT_CHECK(n >= 1, "mix_batch: empty batch");
  BatchMix mix;
  const CounterRng rng(seed, RandomStream::kBatchMixing);
  if (mixing.kind == BatchMixingKind::kNone || rng.uniform(step, kWhether) >= mixing.probability)
    return mix;
  mix.mixed = true;
  mix.lambda =
      boost::math::quantile(boost::math::beta_distribution<double>(mixing.alpha, mixing.alpha),
                            rng.uniform(step, kLambda));
  mix.partners = random_permutation(n, rng, step, kPartners);

  const nn::Index channels = images.channels(), h = images.height(), w = images.width();
  const nn::Index plane = h * w, volume = channels * plane;
  const nn::Tensor original = images;  // the partners' images, before any is changed
  if (mixing.kind == BatchMixingKind::kMixup) {
    const auto own = static_cast<float>(mix.lambda), other = static_cast<float>(1.0 - mix.lambda);
#pragma omp parallel for schedule(static)
    for (nn::Index i = 0; i < n; ++i) {
      float* x = images.data() + i * volume;
      const float* y = original.data() + mix.partners[static_cast<std::size_t>(i)] * volume;
      for (nn::Index k = 0; k < volume; ++k) x[k] = own * x[k] + other * y[k];
    }
    return mix;
  }
  // CutMix: the box, then λ as the share of each image left outside it.
  const double cut = std::sqrt(1.0 - mix.lambda);
  const auto cut_h = static_cast<std::int64_t>(static_cast<double>(h) * cut);
  const auto cut_w = static_cast<std::int64_t>(static_cast<double>(w) * cut);
  const std::int64_t cy = below(rng.uniform(step, kCentreY), h);
  const std::int64_t cx = below(rng.uniform(step, kCentreX), w);
  const std::int64_t top = std::clamp<std::int64_t>(cy - cut_h / 2, 0, h);
  const std::int64_t bottom = std::clamp<std::int64_t>(cy + cut_h / 2, 0, h);
  const std::int64_t left = std::clamp<std::int64_t>(cx - cut_w / 2, 0, w);
  const std::int64_t right = std::clamp<std::int64_t>(cx + cut_w / 2, 0, w);
  mix.box_top = static_cast<int>(top);
  mix.box_left = static_cast<int>(left);
  mix.box_height = static_cast<int>(bottom - top);
  mix.box_width = static_cast<int>(right - left);
  mix.lambda =
      1.0 - static_cast<double>((bottom - top) * (right - left)) / static_cast<double>(plane);
  if (mix.box_height == 0 || mix.box_width == 0) return mix;
#pragma omp parallel for schedule(static)
  for (nn::Index i = 0; i < n; ++i) {
    const nn::Index from = mix.partners[static_cast<std::size_t>(i)];
    for (nn::Index c = 0; c < channels; ++c)
      for (std::int64_t y = top; y < bottom; ++y) {
        const nn::Index offset = c * plane + y * w + left;
        std::memcpy(images.data() + i * volume + offset, original.data() + from * volume + offset,
                    sizeof(float) * static_cast<std::size_t>(right - left));
      }
  }
  return mix;
}

}  // namespace pcmkit::data
