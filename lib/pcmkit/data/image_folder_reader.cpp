#include "pcmkit/data/image_folder_reader.h"

#include <algorithm>
#include <exception>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::data {

ImageFolderReader::ImageFolderReader(ImageList list, ImagePreprocessing options)
    : list_(std::move(list)), options_(std::move(options)) {
  options_.validate();
  PCMKIT_CHECK(!list_.files.empty(), "ImageFolderReader: no image");
  for (const LabelledFile& f : list_.files)
    PCMKIT_CHECK(f.label >= 0 && f.label < list_.num_classes, "ImageFolderReader: bad label");
}

bool ImageFolderReader::next(std::int64_t max_images, ImageBatch& batch) {
  PCMKIT_CHECK(max_images >= 1, "ImageFolderReader::next: max_images < 1");
  const std::int64_t n = std::min(max_images, num_images() - position_);
  const int c = options_.crop_size;
  if (batch.images.n() != n || batch.images.channels() != 3 || batch.images.height() != c ||
      batch.images.width() != c)
    batch.images = nn::Tensor::uninitialized(n, 3, c, c);
  batch.labels.resize(static_cast<std::size_t>(n));
  if (n == 0) return false;

  // An exception cannot leave an OpenMP region: each image keeps its own, rethrown after it.
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(n));
  float* images = batch.images.data();
  const std::int64_t image_size = batch.images.image_size();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      const LabelledFile& f = list_.files[static_cast<std::size_t>(position_ + i)];
      preprocess_image(decode_jpeg_file(f.path), options_, images + i * image_size);
    } catch (...) {
      failures[static_cast<std::size_t>(i)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
  for (std::int64_t i = 0; i < n; ++i)
    batch.labels[static_cast<std::size_t>(i)] =
        list_.files[static_cast<std::size_t>(position_ + i)].label;
  position_ += n;
  return true;
}

}  // namespace pcmkit::data
