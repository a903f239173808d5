// An ImageDataset over a list of JPEG files (data/image_list.h): each batch is decoded
// (data/jpeg_decode.h) and preprocessed (data/image_preprocessing.h: resize, centre crop,
// normalise) when it is read, so memory is bounded by the batch.
#pragma once

#include <cstdint>

#include "pcmkit/data/image_dataset.h"
#include "pcmkit/data/image_list.h"
#include "pcmkit/data/image_preprocessing.h"

namespace pcmkit::data {

class ImageFolderReader final : public ImageDataset {
 public:
  // Requires: `list` non-empty with labels in 0..list.num_classes − 1 (PCMKIT_CHECK).
  // Errors: InputError from options.validate().
  ImageFolderReader(ImageList list, ImagePreprocessing options);

  std::int64_t num_images() const override { return static_cast<std::int64_t>(list_.files.size()); }
  int num_classes() const override { return list_.num_classes; }
  const ImageList& list() const { return list_; }
  void rewind() override { position_ = 0; }
  // Images are [n, 3, crop, crop].
  // Errors: InputError{file, "", problem} for a file that is missing or not a decodable RGB or
  //   grayscale JPEG; when several images of the batch fail, the first in list order is named.
  // Threads: OpenMP over the batch's images, each written to its own slot: the result does not
  //   depend on the thread count.
  bool next(std::int64_t max_images, ImageBatch& batch) override;

 private:
  ImageList list_;
  ImagePreprocessing options_;
  std::int64_t position_ = 0;
};

}  // namespace pcmkit::data
