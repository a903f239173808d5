// JPEG decoding with libjpeg-turbo, to the same pixels as PIL's Image.open(f).convert("RGB")
// (torchvision's default image loader): libjpeg's defaults (accurate integer IDCT, fancy
// upsampling), YCbCr → RGB by libjpeg, grayscale → RGB by replicating the one channel, CMYK and
// YCCK → RGB as PIL does (Adobe's inverted inks, then Pillow's cmyk2rgb; see the .cpp). PIL on
// Debian decodes with the same libjpeg-turbo, so the pixels are identical
// (tests/data_loading/jpeg_decode_test.cpp compares against PIL).
// As PIL: corrupt-data warnings are ignored (libjpeg repairs what it can), but data that ends
// before the image is complete is an error. EXIF orientation is ignored (PIL ignores it too).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pcmkit::data {

// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // height × width × 3 bytes
  std::uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                   static_cast<std::size_t>(x)) *
                      3 +
                  static_cast<std::size_t>(c)];
  }
};

// Decodes the JPEG held in `bytes`; `name` is the file named in errors.
// Errors: InputError{name, "", problem} for data that is not a JPEG, is corrupt, ends early
//   (truncated), or is in an unknown colour space (neither RGB/YCbCr, grayscale nor CMYK/YCCK).
// Threads: safe to call concurrently (one libjpeg decompressor per call).
RgbImage decode_jpeg(const std::vector<std::uint8_t>& bytes, const std::string& name);

// Reads and decodes one file. Errors: as decode_jpeg, and InputError for a missing or
// unreadable file.
RgbImage decode_jpeg_file(const std::filesystem::path& path);

}  // namespace pcmkit::data
