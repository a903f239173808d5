// JPEG decoding against PIL's Image.open(f).convert("RGB") on the committed fixtures (colour
// with 4:2:0, 4:2:2, 4:4:4 and progressive coding, grayscale, CMYK), and one-line errors naming
// the file for truncated, corrupt, empty and missing files.
#include "pcmkit/data/jpeg_decode.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "data_loading/image_fixtures.h"
#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit::data {
namespace {

using test::kImageDir;
using test::read_bytes;

std::string decode_error(const std::filesystem::path& path) {
  try {
    decode_jpeg_file(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("decoded pixels equal PIL's (same libjpeg-turbo, same settings)") {
  for (const test::ImageFixture& f : test::kImageFixtures) {
    CAPTURE(f.name);
    const RgbImage image = decode_jpeg_file(kImageDir / (f.name + ".jpg"));
    CHECK(image.width == f.width);
    CHECK(image.height == f.height);
    const std::vector<std::uint8_t> pil = read_bytes(kImageDir / (f.name + ".decoded.u8"));
    REQUIRE(pil.size() == image.pixels.size());
    int max_diff = 0;
    for (std::size_t i = 0; i < pil.size(); ++i)
      max_diff = std::max(max_diff, std::abs(int{pil[i]} - int{image.pixels[i]}));
    CHECK(max_diff == 0);
  }
}

TEST_CASE("a CMYK JPEG becomes the RGB of PIL's convert(\"RGB\")") {
  const RgbImage image = decode_jpeg_file(kImageDir / "cmyk.jpg");
  CHECK(image.width == 24);
  CHECK(image.height == 20);
  const std::vector<std::uint8_t> pil = read_bytes(kImageDir / "cmyk.decoded.u8");
  REQUIRE(pil.size() == image.pixels.size());
  CHECK(std::equal(pil.begin(), pil.end(), image.pixels.begin()));
}

TEST_CASE("a grayscale JPEG becomes RGB with three equal channels") {
  const RgbImage image = decode_jpeg_file(kImageDir / "gray.jpg");
  bool equal = true;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      equal =
          equal && image.at(y, x, 0) == image.at(y, x, 1) && image.at(y, x, 1) == image.at(y, x, 2);
  CHECK(equal);
}

TEST_CASE("bad JPEG files are one-line input errors naming the file") {
  pcmkit::test::TempDir dir;
  const std::vector<std::uint8_t> good = read_bytes(kImageDir / "landscape.jpg");
  const std::string whole(good.begin(), good.end());
  const auto truncated = dir.write("truncated.jpg", whole.substr(0, whole.size() / 2));
  std::string corrupt = whole;
  corrupt[0] = 'X';  // no SOI marker
  const auto not_jpeg = dir.write("not_jpeg.jpg", corrupt);
  const auto text = dir.write("text.jpg", "hello, this is not an image\n");
  const auto empty = dir.write("empty.jpg", "");
  struct Case {
    std::filesystem::path path;
    std::string problem;
  };
  for (const Case& c : std::vector<Case>{{truncated, "truncated"},
                                         {not_jpeg, "Not a JPEG file"},
                                         {text, "Not a JPEG file"},
                                         {empty, "empty file"},
                                         {dir / "missing.jpg", "no such file"}}) {
    const std::string error = decode_error(c.path);
    CAPTURE(error);
    CHECK(error.rfind(c.path.string() + ": ", 0) == 0);
    CHECK(error.find(c.problem) != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
}

}  // namespace pcmkit::data
