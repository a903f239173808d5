// The standard ImageNet evaluation preprocessing, as torchvision composes it on a PIL image:
//   Resize(s)      shorter side → s, longer side → int(s·long/short) (torchvision's rounding
//                  down), resampled as PIL's antialiased bilinear
//                  (data/detail/antialiased_resize.h); an image already of that size is left as it
//                  is
//   CenterCrop(c)  top = int(round((H − c)/2.0)), left = int(round((W − c)/2.0)), with Python's
//                  round (half to even)
//   ToTensor       x = byte/255 (float)
//   Normalize      x' = (x − mean_ch)/std_ch (float)
// s = 256, c = 224 for ImageNet; both are parameters so that tests can run on small images.
// Not provided: padding when c exceeds the resized image (torchvision pads with zeros).
#pragma once

#include <utility>

#include "pcmkit/data/jpeg_decode.h"
#include "pcmkit/nn/input_normalization.h"

namespace pcmkit::data {

struct ImagePreprocessing {
  int resize_shorter_side = 256;  // s ≥ 1
  int crop_size = 224;            // c, 1 ≤ c ≤ s
  // Three means and three stds > 0, or both empty (pixels stay in [0, 1]).
  nn::InputNormalization normalization;

  // Errors: InputError{"", "resize_shorter_side"/"crop_size"/"normalization", problem}.
  void validate() const;
};

// (width, height) after Resize(s) of a width × height image. Requires: sizes ≥ 1.
std::pair<int, int> resized_size(int width, int height, int shorter_side);

// CenterCrop's offset along one side of `size` pixels for a crop of `crop` ≤ size pixels.
int center_crop_offset(int size, int crop);

// Preprocesses one image into out[c·crop·crop + y·crop + x], c = R, G, B.
// Requires: options valid (validate() first), image non-empty (PCMKIT_CHECK).
// Threads: safe to call concurrently on different outputs.
void preprocess_image(const RgbImage& image, const ImagePreprocessing& options, float* out);

}  // namespace pcmkit::data
