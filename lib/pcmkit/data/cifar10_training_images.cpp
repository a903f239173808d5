#include "pcmkit/data/cifar10_training_images.h"

#include <algorithm>
#include <span>
#include <utility>

#include "pcmkit/core/error.h"

namespace pcmkit::data {

CifarTrainingImages::CifarTrainingImages(const CifarTrainingSet& split,
                                         std::vector<std::int64_t> indices,
                                         CifarAugmentation augmentation,
                                         std::uint64_t seed,
                                         std::uint64_t epoch)
    : split_(split),
      indices_(std::move(indices)),
      augmentation_(augmentation),
      seed_(seed),
      epoch_(epoch) {}

bool CifarTrainingImages::next(std::int64_t max_images, ImageBatch& batch) {
  PCMKIT_CHECK(max_images >= 1, "CifarTrainingImages::next: max_images < 1");
  const std::int64_t n = std::min(max_images, num_images() - next_image_);
  if (n <= 0) {
    batch = ImageBatch{};
    return false;
  }
  split_.make_batch(std::span<const std::int64_t>(indices_).subspan(
                        static_cast<std::size_t>(next_image_), static_cast<std::size_t>(n)),
                    augmentation_, seed_, epoch_, batch);
  next_image_ += n;
  return true;
}

}  // namespace pcmkit::data
