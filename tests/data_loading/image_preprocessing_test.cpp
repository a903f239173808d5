// Resize (PIL's antialiased bilinear), centre crop, ToTensor and Normalize against torchvision
// on the committed fixtures: Resize(40) + CenterCrop(32) on small images (down- and upsampling,
// portrait, landscape, no resampling), the full Resize(256) + CenterCrop(224) on a 301 × 227
// image (every 7th row and column stored), and the float tensor with ImageNet's mean and std.
#include "pcmkit/data/image_preprocessing.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "data_loading/image_fixtures.h"
#include "pcmkit/core/error.h"
#include "pcmkit/data/detail/antialiased_resize.h"

namespace pcmkit::data {
namespace {

using test::kImageDir;
using test::read_bytes;

// Bytes of the preprocessed image in C, H, W order (no normalisation: x = byte/255).
std::vector<std::uint8_t> preprocessed_bytes(const RgbImage& image, int resize, int crop) {
  std::vector<float> x(3 * static_cast<std::size_t>(crop) * static_cast<std::size_t>(crop));
  preprocess_image(image, {resize, crop, {}}, x.data());
  std::vector<std::uint8_t> bytes;
  for (float v : x) bytes.push_back(static_cast<std::uint8_t>(std::lround(v * 255.0f)));
  return bytes;
}

int max_abs_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  int d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(int{a[i]} - int{b[i]}));
  return d;
}

}  // namespace

TEST_CASE("resized size follows torchvision: shorter side s, longer int(s * long / short)") {
  using P = std::pair<int, int>;
  CHECK(resized_size(80, 60, 40) == P{53, 40});  // 53.33
  CHECK(resized_size(59, 83, 40) == P{40, 56});  // 56.27
  CHECK(resized_size(64, 64, 40) == P{40, 40});
  CHECK(resized_size(500, 375, 256) == P{341, 256});  // 341.33 (a common ImageNet size)
  CHECK(resized_size(3, 6, 256) == P{256, 512});
  CHECK(resized_size(301, 227, 256) == P{339, 256});  // 339.45
}

TEST_CASE("centre crop offsets are int(round((size - crop) / 2.0)), ties to even") {
  CHECK(center_crop_offset(32, 32) == 0);
  CHECK(center_crop_offset(33, 32) == 0);  // round(0.5) = 0
  CHECK(center_crop_offset(34, 32) == 1);
  CHECK(center_crop_offset(35, 32) == 2);     // round(1.5) = 2
  CHECK(center_crop_offset(37, 32) == 2);     // round(2.5) = 2
  CHECK(center_crop_offset(39, 32) == 4);     // round(3.5) = 4
  CHECK(center_crop_offset(341, 224) == 58);  // round(58.5) = 58
  CHECK(center_crop_offset(339, 224) == 58);  // round(57.5) = 58
}

TEST_CASE("Resize(40) + CenterCrop(32) equals torchvision on PIL images, byte for byte") {
  int worst = 0;
  for (const test::ImageFixture& f : test::kImageFixtures) {
    CAPTURE(f.name);
    const RgbImage image = decode_jpeg_file(kImageDir / (f.name + ".jpg"));
    const std::vector<std::uint8_t> expected = read_bytes(kImageDir / (f.name + ".r40c32.u8"));
    REQUIRE(expected.size() == 3u * 32 * 32);
    const int d = max_abs_difference(preprocessed_bytes(image, 40, 32), expected);
    CHECK(d == 0);
    worst = std::max(worst, d);
  }
  MESSAGE("largest byte difference from torchvision/PIL: ", worst);
}

TEST_CASE("Resize(256) + CenterCrop(224) equals torchvision on a 301 x 227 image") {
  const RgbImage image = decode_jpeg_file(kImageDir / "large.jpg");
  const std::vector<std::uint8_t> all = preprocessed_bytes(image, 256, 224);
  std::vector<std::uint8_t> sub;  // every 7th row and column, as stored
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 224; y += 7)
      for (int x = 0; x < 224; x += 7)
        sub.push_back(all[(static_cast<std::size_t>(c) * 224 + static_cast<std::size_t>(y)) * 224 +
                          static_cast<std::size_t>(x)]);
  const std::vector<std::uint8_t> expected = read_bytes(kImageDir / "large.r256c224.sub7.u8");
  REQUIRE(expected.size() == sub.size());
  CHECK(max_abs_difference(sub, expected) == 0);
}

TEST_CASE("ToTensor + Normalize(ImageNet mean, std) equals torchvision's float tensor exactly") {
  const RgbImage image = decode_jpeg_file(kImageDir / "landscape.jpg");
  const ImagePreprocessing options{40, 32, {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}};
  std::vector<float> x(3 * 32 * 32);
  preprocess_image(image, options, x.data());
  const std::vector<float> expected =
      test::read_floats(kImageDir / "landscape.r40c32.imagenet.f32");
  REQUIRE(expected.size() == x.size());
  float max_diff = 0.0f;
  for (std::size_t i = 0; i < x.size(); ++i)
    max_diff = std::max(max_diff, std::abs(x[i] - expected[i]));
  CHECK(max_diff == 0.0f);
}

TEST_CASE("a window of the resized image equals the same pixels of the whole resized image") {
  const RgbImage image = decode_jpeg_file(kImageDir / "portrait.jpg");
  const RgbImage whole = resize_bilinear_antialiased(image, 31, 45, {0, 0, 31, 45});
  const RgbImage part = resize_bilinear_antialiased(image, 31, 45, {5, 9, 20, 17});
  bool same = true;
  for (int y = 0; y < part.height; ++y)
    for (int x = 0; x < part.width; ++x)
      for (int c = 0; c < 3; ++c) same = same && part.at(y, x, c) == whole.at(y + 9, x + 5, c);
  CHECK(same);
}

TEST_CASE("a constant image stays constant through down- and upsampling") {
  RgbImage image;
  image.width = 17;
  image.height = 11;
  image.pixels.assign(17 * 11 * 3, 0);
  for (std::size_t i = 0; i < image.pixels.size(); ++i)
    image.pixels[i] = static_cast<std::uint8_t>(60 + 70 * (i % 3));
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{5, 4}, {40, 23}, {17, 30}}) {
    const RgbImage r = resize_bilinear_antialiased(image, w, h, {0, 0, w, h});
    bool constant = true;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        constant = constant && r.at(y, x, 0) == 60 && r.at(y, x, 1) == 130 && r.at(y, x, 2) == 200;
    CHECK(constant);
  }
}

TEST_CASE("preprocessing options are validated") {
  CHECK_NOTHROW(ImagePreprocessing{}.validate());
  CHECK_THROWS_AS((ImagePreprocessing{0, 0, {}}.validate()), InputError);
  CHECK_THROWS_AS((ImagePreprocessing{40, 41, {}}.validate()), InputError);
  CHECK_THROWS_AS((ImagePreprocessing{40, 32, {{0.5f}, {0.5f}}}.validate()), InputError);
  CHECK_THROWS_AS((ImagePreprocessing{40, 32, {{0, 0, 0}, {1, 0, 1}}}.validate()), InputError);
}

}  // namespace pcmkit::data
