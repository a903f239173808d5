// The JPEG path of image-folder evaluation on arbitrary bytes: decode (data/jpeg_decode.h), then
// resize and centre-crop as the ImageNet preprocessing does (data/image_preprocessing.h).
#include <cmath>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "pcmkit/data/image_preprocessing.h"
#include "pcmkit/data/jpeg_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  const std::vector<std::uint8_t> bytes(data, data + size);
  fuzz::expect_success_or_input_error([&] {
    const data::RgbImage image = data::decode_jpeg(bytes, "image.jpg");
    fuzz::require(image.width >= 1 && image.height >= 1 &&
                      image.pixels.size() == static_cast<std::size_t>(image.width) *
                                                 static_cast<std::size_t>(image.height) * 3,
                  "a decoded image has pixels for its size");
    data::ImagePreprocessing options;
    options.resize_shorter_side = 40;
    options.crop_size = 32;
    std::vector<float> out(3 * 32 * 32);
    data::preprocess_image(image, options, out.data());
    for (const float v : out) {
      fuzz::require(std::isfinite(v) && v >= 0.0f && v <= 1.0f, "pixels in [0, 1]");
    }
  });
  return 0;
}
