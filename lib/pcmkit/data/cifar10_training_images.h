// Chosen images of an in-memory CIFAR-10 training split as an ImageDataset, augmented as training
// draws them for one epoch: what BatchNorm re-estimation reads (AdaBS calibration images, and
// the statistics of a run's weight average) without reading the files again.
#pragma once

#include <cstdint>
#include <vector>

#include "pcmkit/data/cifar10_training_set.h"
#include "pcmkit/data/image_dataset.h"

namespace pcmkit::data {

class CifarTrainingImages final : public ImageDataset {
 public:
  // Image k of the stream is split image indices[k], cropped and flipped (and cut out) as
  // CifarTrainingSet draws it for (seed, epoch, indices[k]), or as it is when
  // augmentation.enabled is false. `split` must outlive this object.
  // Requires: every index in [0, split.num_images()) (PCMKIT_CHECK, when read).
  CifarTrainingImages(const CifarTrainingSet& split,
                      std::vector<std::int64_t> indices,
                      CifarAugmentation augmentation,
                      std::uint64_t seed,
                      std::uint64_t epoch);

  std::int64_t num_images() const override { return static_cast<std::int64_t>(indices_.size()); }
  int num_classes() const override { return kCifarClasses; }
  void rewind() override { next_image_ = 0; }
  bool next(std::int64_t max_images, ImageBatch& batch) override;

 private:
  const CifarTrainingSet& split_;
  std::vector<std::int64_t> indices_;
  CifarAugmentation augmentation_;
  std::uint64_t seed_;
  std::uint64_t epoch_;
  std::int64_t next_image_ = 0;
};

}  // namespace pcmkit::data
