// The CIFAR-10 training split held in memory as raw records (50,000 × 3,073 bytes = 154 MB), for
// training: shuffled epochs and the standard augmentation of He et al. (2016), as torchvision's
//   RandomCrop(32, padding=4) + RandomHorizontalFlip() + ToTensor() + Normalize(mean, std):
// the image is zero-padded by 4 pixels on every side (the pad is a black pixel, so after
// normalisation it is −mean_c/std_c), a 32×32 window at a uniformly drawn offset (0..8, 0..8)
// is cut out, and with probability 1/2 mirrored left to right. Optionally Cutout (DeVries &
// Taylor 2017, arXiv:1708.04552): a square of side L centred on a uniformly drawn pixel of the
// cropped image, clipped at the borders, is set to 0 after normalisation (the data set's mean).
// Random: counter-based (core/random_stream.h). The order of epoch e and the crop and flip of
// image k in epoch e depend only on (seed, e, k): a resumed run sees the same batches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "pcmkit/core/random_stream.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/nn/input_normalization.h"
#include "pcmkit/nn/tensor.h"

namespace pcmkit::data {

struct CifarAugmentation {
  bool enabled = true;  // false: images as they are (for evaluation on the training split)
  int padding = 4;      // pixels of zero padding per side before the random crop, ≥ 0
  bool flip = true;     // random horizontal flip
  int cutout = 0;       // side L of the Cutout square in pixels, 0..32; 0 = off
};

class CifarTrainingSet {
 public:
  // Reads every record of `files` (normally cifar10_training_files(dir)). `normalization` as for
  // CifarBinaryReader.
  // Errors: InputError as CifarBinaryReader (missing, truncated file; label outside 0..9).
  CifarTrainingSet(const std::vector<std::filesystem::path>& files,
                   nn::InputNormalization normalization);

  std::int64_t num_images() const { return num_images_; }
  int label(std::int64_t image) const { return records_[record_offset(image)]; }

  // The images `indices` (dataset positions), normalised and, when augmentation.enabled, cropped
  // and flipped as drawn for (seed, epoch, image). Requires: every index in [0, num_images())
  // and augmentation.padding ≥ 0, 0 ≤ augmentation.cutout ≤ 32 (PCMKIT_CHECK).
  // Threads: OpenMP over images; results never depend on the thread count.
  void make_batch(std::span<const std::int64_t> indices,
                  const CifarAugmentation& augmentation,
                  std::uint64_t seed,
                  std::uint64_t epoch,
                  CifarBatch& batch) const;

 private:
  std::size_t record_offset(std::int64_t image) const {
    return static_cast<std::size_t>(image) * static_cast<std::size_t>(kCifarRecordBytes);
  }

  std::vector<unsigned char> records_;
  nn::InputNormalization normalization_;
  std::int64_t num_images_ = 0;
};

// A uniformly random permutation of 0..n−1 for epoch `epoch` (Fisher–Yates on counter-based
// uniforms): a pure function of (n, seed, epoch). Requires: n ≥ 0.
std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint64_t epoch);

// The same Fisher–Yates permutation of 0..n−1 from rng's draws (item, first_draw + i) for
// i = n−1 … 1: shuffled_order is (CounterRng(seed, kShuffle), epoch, 0).
std::vector<std::int64_t> random_permutation(std::int64_t n,
                                             const CounterRng& rng,
                                             std::uint64_t item,
                                             std::uint64_t first_draw);

}  // namespace pcmkit::data
