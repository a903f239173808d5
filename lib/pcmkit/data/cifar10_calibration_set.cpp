#include "pcmkit/data/cifar10_calibration_set.h"

#include <numeric>

namespace pcmkit::data {
namespace {

std::vector<std::int64_t> first_indices(std::int64_t n) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), std::int64_t{0});
  return indices;
}

}  // namespace

CifarCalibrationSet::CifarCalibrationSet(const std::vector<std::filesystem::path>& files,
                                         nn::InputNormalization normalization,
                                         CifarAugmentation augmentation,
                                         std::uint64_t seed)
    : records_(files, std::move(normalization)),
      images_(records_, first_indices(records_.num_images()), augmentation, seed, 0) {}

}  // namespace pcmkit::data
