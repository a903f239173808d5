#include "pcmkit/data/image_preprocessing.h"

#include <cmath>

#include "pcmkit/core/error.h"
#include "pcmkit/data/detail/antialiased_resize.h"

namespace pcmkit::data {

void ImagePreprocessing::validate() const {
  require_input(resize_shorter_side >= 1, "", "resize_shorter_side", "must be >= 1",
                resize_shorter_side);
  require_input(crop_size >= 1 && crop_size <= resize_shorter_side, "", "crop_size",
                "must be in 1..resize (" + std::to_string(resize_shorter_side) + ")", crop_size);
  const bool none = normalization.mean.empty() && normalization.std.empty();
  if (!none && (normalization.mean.size() != 3 || normalization.std.size() != 3))
    throw InputError("", "normalization", "needs 3 means and 3 stds for RGB images");
  for (float s : normalization.std)
    require_input(s > 0.0f, "", "normalization", "every std must be > 0", s);
}

std::pair<int, int> resized_size(int width, int height, int shorter_side) {
  PCMKIT_CHECK(width >= 1 && height >= 1 && shorter_side >= 1, "resized_size: size < 1");
  const bool portrait = width <= height;
  const int shorter = portrait ? width : height, longer = portrait ? height : width;
  // Python's int(s * long / short): a correctly rounded double quotient, truncated.
  const int new_longer = static_cast<int>(static_cast<double>(shorter_side) * longer / shorter);
  return portrait ? std::pair{shorter_side, new_longer} : std::pair{new_longer, shorter_side};
}

int center_crop_offset(int size, int crop) {
  PCMKIT_CHECK(crop >= 1 && crop <= size, "center_crop_offset: crop outside the image");
  const int d = size - crop;
  // round(d / 2.0) with ties to even: d = 2k + 1 gives k or k + 1, whichever is even.
  const int half = d / 2;
  return d % 2 == 0 ? half : half + (half % 2);
}

void preprocess_image(const RgbImage& image, const ImagePreprocessing& options, float* out) {
  const auto [w, h] = resized_size(image.width, image.height, options.resize_shorter_side);
  const int c = options.crop_size;
  const PixelWindow window{center_crop_offset(w, c), center_crop_offset(h, c), c, c};
  const RgbImage crop = resize_bilinear_antialiased(image, w, h, window);
  const std::size_t plane = static_cast<std::size_t>(c) * static_cast<std::size_t>(c);
  const bool normalise = !options.normalization.mean.empty();
  for (int ch = 0; ch < 3; ++ch) {
    const float mean = normalise ? options.normalization.mean[static_cast<std::size_t>(ch)] : 0.0f;
    const float std = normalise ? options.normalization.std[static_cast<std::size_t>(ch)] : 1.0f;
    float lookup[256];  // byte → (byte/255 − mean)/std, each step in float as torchvision
    for (int v = 0; v < 256; ++v) lookup[v] = (static_cast<float>(v) / 255.0f - mean) / std;
    float* dst = out + static_cast<std::size_t>(ch) * plane;
    for (std::size_t p = 0; p < plane; ++p)
      dst[p] = lookup[crop.pixels[3 * p + static_cast<std::size_t>(ch)]];
  }
}

}  // namespace pcmkit::data
