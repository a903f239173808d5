// cifar10_png_import.h: PNG rows (RGB interleaved) become canonical records (label, R plane,
// G plane, B plane) byte for byte; every bad input is an InputError naming the file, and leaves
// no file behind. The PNGs are written here with libpng's simplified API.
#include "pcmkit/data/cifar10_png_import.h"

#include <doctest/doctest.h>
#include <png.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/cli_process.h"
#include "pcmkit/core/error.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;
using cli_test::ScratchDir;

constexpr int kSide = 1024;  // pixels per PNG row: one 32x32 image

// The test pattern: a distinct-ish byte for every (image, pixel, channel).
std::uint8_t pixel(int image, int p, int c) {
  return static_cast<std::uint8_t>(image * 7 + p * 3 + c * 101);
}

// Writes a PNG of `rows` rows with `width` pixels each; format is a libpng PNG_FORMAT_* value.
void write_png(const fs::path& path, int width, int rows, png_uint_32 format = PNG_FORMAT_RGB) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(rows);
  image.format = format;
  const std::size_t bytes = PNG_IMAGE_SIZE(image);
  std::vector<std::uint8_t> buffer(bytes);
  const int channels = static_cast<int>(PNG_IMAGE_PIXEL_CHANNELS(format));
  if (format == PNG_FORMAT_RGB)
    for (int i = 0; i < rows; ++i)
      for (int p = 0; p < width; ++p)
        for (int c = 0; c < channels; ++c)
          buffer[(static_cast<std::size_t>(i) * width + p) * channels + c] = pixel(i, p, c);
  REQUIRE(png_image_write_to_file(&image, path.c_str(), 0, buffer.data(), 0, nullptr) != 0);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The expected canonical file for write_png's pattern.
std::string expected_records(const std::vector<std::uint8_t>& labels) {
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out += static_cast<char>(labels[i]);
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < kSide; ++p) out += static_cast<char>(pixel(static_cast<int>(i), p, c));
  }
  return out;
}

// Runs f, which must throw InputError naming `file`; returns the message.
template <typename F>
std::string input_error_of(F&& f, const fs::path& file) {
  try {
    f();
  } catch (const InputError& e) {
    CHECK(e.file() == file.string());
    return e.what();
  }
  FAIL("no InputError for " << file);
  return {};
}

TEST_CASE("a 3-image PNG converts byte for byte: label, then R, G and B planes") {
  ScratchDir dir;
  write_png(dir / "b.png", kSide, 3);
  const std::vector<std::uint8_t> labels = {3, 0, 9};
  convert_cifar10_png_batch(dir / "b.png", labels, dir / "b.bin");
  const std::string bin = read_bytes(dir / "b.bin");
  REQUIRE(bin.size() == 3 * 3073);
  CHECK(bin == expected_records(labels));
  // Spot checks of the layout, independent of expected_records.
  CHECK(static_cast<std::uint8_t>(bin[3073]) == 0);                              // label of image 1
  CHECK(static_cast<std::uint8_t>(bin[1 + 5]) == pixel(0, 5, 0));                // R of pixel 5
  CHECK(static_cast<std::uint8_t>(bin[1 + 1024 + 5]) == pixel(0, 5, 1));         // G of pixel 5
  CHECK(static_cast<std::uint8_t>(bin[2 * 3073 + 1 + 2048]) == pixel(2, 0, 2));  // B, image 2
  CHECK(dir.entries() == std::vector<std::string>{"b.bin", "b.png"});  // no temporary left
}

TEST_CASE("labels: a JSON array of integers 0..9 of the expected length") {
  ScratchDir dir;
  write_text(dir / "l.json", "[3, 8, 8, 0, 9]");
  CHECK(read_cifar10_labels(dir / "l.json", 5) == std::vector<std::uint8_t>{3, 8, 8, 0, 9});
  write_text(dir / "empty.json", "[]");
  CHECK(read_cifar10_labels(dir / "empty.json", 0).empty());
}

TEST_CASE("bad label files are InputErrors naming the file") {
  ScratchDir dir;
  const fs::path f = dir / "l.json";
  const auto bad = [&](const std::string& text, std::int64_t n) {
    write_text(f, text);
    return input_error_of([&] { read_cifar10_labels(f, n); }, f);
  };
  CHECK(bad("[3, 8,", 2).find("not valid JSON") != std::string::npos);
  CHECK(bad("{\"a\": 1}", 1).find("array") != std::string::npos);
  CHECK(bad("[1, 2, 3]", 4).find("3 labels, expected 4") != std::string::npos);
  CHECK(bad("[1, 10, 3]", 3).find("[1]: label 10 outside 0..9") != std::string::npos);
  CHECK(bad("[-1]", 1).find("label -1 outside 0..9") != std::string::npos);
  CHECK(bad("[18446744073709551615]", 1).find("label 18446744073709551615 outside") !=
        std::string::npos);  // not wrapped to -1
  CHECK(bad("[-9223372036854775808]", 1).find("label -9223372036854775808 outside") !=
        std::string::npos);
  CHECK(bad("[2.5]", 1).find("not an integer") != std::string::npos);
  CHECK(bad("[\"3\"]", 1).find("not an integer") != std::string::npos);
  CHECK(input_error_of([&] { read_cifar10_labels(dir / "missing.json", 1); }, dir / "missing.json")
            .find("no such file") != std::string::npos);
  CHECK(bad("[1e309]", 1).find("not valid JSON (number overflow") != std::string::npos);
  CHECK(bad(std::string(200, '[') + std::string(200, ']'), 1).find("nested deeper") !=
        std::string::npos);
}

TEST_CASE("bad PNGs are InputErrors naming the PNG, and nothing is written") {
  ScratchDir dir;
  const fs::path png = dir / "in.png";
  const fs::path out_dir = dir / "out";
  fs::create_directory(out_dir);
  const std::vector<std::uint8_t> three = {1, 2, 3};
  const auto rejected = [&](const std::vector<std::uint8_t>& labels) {
    const std::string message =
        input_error_of([&] { convert_cifar10_png_batch(png, labels, out_dir / "b.bin"); }, png);
    CHECK(fs::is_empty(out_dir));
    return message;
  };
  SUBCASE("wrong width") {
    write_png(png, kSide - 1, 3);
    CHECK(rejected(three).find("width 1023, expected 1024") != std::string::npos);
  }
  SUBCASE("height differs from the number of labels") {
    write_png(png, kSide, 3);
    CHECK(rejected({1, 2, 3, 4}).find("height 3 rows, but there are 4 labels") !=
          std::string::npos);
  }
  SUBCASE("grey instead of RGB") {
    write_png(png, kSide, 3, PNG_FORMAT_GRAY);
    CHECK(rejected(three).find("colour type 0") != std::string::npos);
  }
  SUBCASE("RGB with alpha") {
    write_png(png, kSide, 3, PNG_FORMAT_RGBA);
    CHECK(rejected(three).find("colour type 6") != std::string::npos);
  }
  SUBCASE("16-bit") {
    write_png(png, kSide, 3, PNG_FORMAT_LINEAR_RGB);
    CHECK(rejected(three).find("bit depth 16") != std::string::npos);
  }
  SUBCASE("not a PNG") {
    write_text(png, "this is not an image, just text long enough");
    CHECK(rejected(three).find("not a PNG") != std::string::npos);
  }
  SUBCASE("empty file") {
    write_text(png, "");
    CHECK(rejected(three).find("not a PNG") != std::string::npos);
  }
  SUBCASE("missing file") { CHECK(rejected(three).find("cannot open") != std::string::npos); }
  SUBCASE("truncated in the pixel data, after the header, and before the end chunk") {
    write_png(png, kSide, 3);
    const std::string whole = read_bytes(png);
    for (const std::size_t keep : {std::size_t{40}, whole.size() / 2, whole.size() - 12}) {
      CAPTURE(keep);
      write_text(png, whole.substr(0, keep));
      CHECK(rejected(three).find("corrupt or truncated PNG") != std::string::npos);
    }
  }
  SUBCASE("a flipped byte in the pixel data (CRC)") {
    write_png(png, kSide, 3);
    std::string bytes = read_bytes(png);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
    write_text(png, bytes);
    CHECK(rejected(three).find("corrupt or truncated PNG") != std::string::npos);
  }
}

TEST_CASE(
    "Requires and RunError: labels above 9 are a bug, a missing output directory a RunError") {
  ScratchDir dir;
  write_png(dir / "b.png", kSide, 1);
  CHECK_THROWS_AS(convert_cifar10_png_batch(dir / "b.png", {10}, dir / "b.bin"), InternalError);
  CHECK_THROWS_AS(convert_cifar10_png_batch(dir / "b.png", {1}, dir / "no" / "b.bin"), RunError);
  CHECK_THROWS_AS(read_cifar10_labels(dir / "x.json", -1), InternalError);
}

// A package directory with every file present: a real-size test_batch.png (10000 rows of the
// pattern, which is not the canonical test set) and 1-byte stand-ins for the training PNGs,
// which the import never reaches because the test batch is converted and checked first.
void write_fake_package(const fs::path& dir) {
  fs::create_directories(dir);
  write_png(dir / "test_batch.png", kSide, 10000);
  for (int k = 1; k <= 5; ++k) write_text(dir / ("data_batch_" + std::to_string(k) + ".png"), "x");
  std::string test = "[", train = "[";
  for (int i = 0; i < 10000; ++i) test += (i ? ",1" : "1");
  for (int i = 0; i < 50000; ++i) train += (i ? ",2" : "2");
  write_text(dir / "test_lables.json", test + "]");
  write_text(dir / "train_lables.json", train + "]");
}

TEST_CASE("package import: a test batch that is not the canonical one is rejected, nothing kept") {
  ScratchDir dir;
  write_fake_package(dir / "package");
  SUBCASE("the cache directory did not exist: it is removed again") {
    const std::string message =
        input_error_of([&] { import_cifar10_png_package(dir / "package", dir / "cache"); },
                       dir / "package" / "test_batch.png");
    CHECK(message.find("sha256") != std::string::npos);
    CHECK(!fs::exists(dir / "cache"));
  }
  SUBCASE("an existing cache directory keeps its files and gains none") {
    fs::create_directory(dir / "cache");
    write_text(dir / "cache" / "keep.txt", "x");
    CHECK_THROWS_AS(import_cifar10_png_package(dir / "package", dir / "cache"), InputError);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir / "cache"))
      names.push_back(e.path().filename());
    CHECK(names == std::vector<std::string>{"keep.txt"});
  }
}

TEST_CASE("package import: missing files and bad labels are found before any PNG is decoded") {
  ScratchDir dir;
  const fs::path package = dir / "package";
  write_fake_package(package);
  const fs::path cache = dir / "cache";
  SUBCASE("no package directory") {
    input_error_of([&] { import_cifar10_png_package(dir / "nothing", cache); }, dir / "nothing");
  }
  SUBCASE("a missing training PNG") {
    fs::remove(package / "data_batch_3.png");
    CHECK(input_error_of([&] { import_cifar10_png_package(package, cache); },
                         package / "data_batch_3.png")
              .find("missing") != std::string::npos);
  }
  SUBCASE("too few training labels") {
    write_text(package / "train_lables.json", "[1, 2]");
    CHECK(input_error_of([&] { import_cifar10_png_package(package, cache); },
                         package / "train_lables.json")
              .find("2 labels, expected 50000") != std::string::npos);
  }
  SUBCASE("a test label of 10") {
    std::string test = "[10";
    for (int i = 1; i < 10000; ++i) test += ",1";
    write_text(package / "test_lables.json", test + "]");
    CHECK(input_error_of([&] { import_cifar10_png_package(package, cache); },
                         package / "test_lables.json")
              .find("[0]: label 10") != std::string::npos);
  }
  CHECK(!fs::exists(cache));
}

}  // namespace
}  // namespace pcmkit::data
