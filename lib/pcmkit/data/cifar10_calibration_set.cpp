#include "pcmkit/data/cifar10_calibration_set.h"

#include <algorithm>
#include <numeric>

#include "pcmkit/core/error.h"

namespace pcmkit::data {

CifarCalibrationSet::CifarCalibrationSet(const std::vector<std::filesystem::path>& files,
                                         nn::InputNormalization normalization,
                                         CifarAugmentation augmentation,
                                         std::uint64_t seed)
    : records_(files, std::move(normalization)), augmentation_(augmentation), seed_(seed) {}

bool CifarCalibrationSet::next(std::int64_t max_images, ImageBatch& batch) {
  PCMKIT_CHECK(max_images >= 1, "CifarCalibrationSet::next: max_images < 1");
  const std::int64_t n = std::min(max_images, num_images() - next_image_);
  if (n <= 0) {
    batch = ImageBatch{};
    return false;
  }
  indices_.resize(static_cast<std::size_t>(n));
  std::iota(indices_.begin(), indices_.end(), next_image_);
  records_.make_batch(indices_, augmentation_, seed_, 0, batch);
  next_image_ += n;
  return true;
}

}  // namespace pcmkit::data
