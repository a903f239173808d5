// A labelled-image stream: what an evaluation reads, whatever the files behind it (CIFAR-10
// binary records, an ImageNet-style folder of JPEGs). Images come in batches, already scaled and
// normalised as the network expects; memory is bounded by the batch, not the data set.
#pragma once

#include <cstdint>
#include <vector>

#include "pcmkit/nn/tensor.h"

namespace pcmkit::data {

struct ImageBatch {
  nn::Tensor images;        // [n, C, H, W], normalised
  std::vector<int> labels;  // n labels in 0..num_classes() − 1
};

class ImageDataset {
 public:
  virtual ~ImageDataset() = default;

  // Images in one pass of the stream.
  virtual std::int64_t num_images() const = 0;
  // Labels are in 0..num_classes() − 1.
  virtual int num_classes() const = 0;
  // Starts again from the first image.
  virtual void rewind() = 0;
  // Reads the next min(max_images, remaining) images into `batch`; false (and an empty batch)
  // when none remain. Requires: max_images ≥ 1 (PCMKIT_CHECK).
  // Errors: InputError naming the file and the problem when an image cannot be read.
  virtual bool next(std::int64_t max_images, ImageBatch& batch) = 0;
};

}  // namespace pcmkit::data
