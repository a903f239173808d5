// Mixing the images of a training mini-batch, and their labels with them:
// - mixup (Zhang, Cisse, Dauphin & Lopez-Paz, ICLR 2018, arXiv:1710.09412): λ ~ Beta(α, α) per
//   batch and a random permutation π of the batch; x_i ← λ·x_i + (1 − λ)·x_π(i).
// - CutMix (Yun et al., ICCV 2019, arXiv:1905.04899): λ ~ Beta(α, α), one box per batch of
//   ⌊W·√(1 − λ)⌋ × ⌊H·√(1 − λ)⌋ pixels centred on a uniformly drawn pixel, as the authors' code
//   [c − ⌊s/2⌋, c + ⌊s/2⌋) clipped at the borders; image i takes the box from image π(i), and λ
//   becomes the share of the image it keeps, 1 − box area / (H·W).
// Image i's target is then λ·onehot(y_i) + (1 − λ)·onehot(y_π(i)): the cross-entropy against it
// (nn/loss.h) is the reference code's λ·CE(z, y_i) + (1 − λ)·CE(z, y_π(i)). A step is mixed with
// probability p (CutMix's CIFAR recipe: α = 1, p = 0.5; mixup's: α = 1, every step).
// Random: counter-based on (seed, step) alone (stream kBatchMixing): a resumed run mixes as the
// first did, and the result never depends on the thread count.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pcmkit/nn/tensor.h"

namespace pcmkit::data {

enum class BatchMixingKind { kNone, kMixup, kCutMix };

struct BatchMixing {
  BatchMixingKind kind = BatchMixingKind::kNone;
  double alpha = 1.0;        // Beta(α, α) of λ; > 0
  double probability = 1.0;  // of mixing a step, in (0, 1]
};

// "none", "mixup", "cutmix".
std::string batch_mixing_name(BatchMixingKind kind);

// What mix_batch did to a batch of n images.
struct BatchMix {
  bool mixed = false;                  // false: the batch is as it was (and the rest is unused)
  double lambda = 1.0;                 // the weight of each image's own label
  std::vector<std::int64_t> partners;  // π(i), a permutation of 0..n−1
  int box_top = 0, box_left = 0, box_height = 0, box_width = 0;  // CutMix's box (else empty)

  // The n × num_classes targets λ·onehot(labels[i]) + (1 − λ)·onehot(labels[π(i)]) (one-hot
  // rows when not mixed). Requires: labels.size() == n, labels in [0, num_classes)
  // (PCMKIT_CHECK).
  nn::RowMatrixXf targets(std::span<const int> labels, nn::Index num_classes) const;
};

// Mixes `images` (n × C × H × W, n ≥ 1) in place as drawn for (seed, step).
// Requires: mixing.alpha > 0, mixing.probability in (0, 1] (PCMKIT_CHECK).
// Threads: OpenMP over images; results never depend on the thread count.
BatchMix mix_batch(const BatchMixing& mixing,
                   std::uint64_t seed,
                   std::uint64_t step,
                   nn::Tensor& images);

}  // namespace pcmkit::data
