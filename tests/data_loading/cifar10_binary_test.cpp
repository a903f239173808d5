// CifarBinaryReader on tiny generated files: batching across files, normalisation, rewind, and
// one-line errors naming the file for truncated files, bad labels and missing files.
#include "pcmkit/data/cifar10_binary.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

// Record r of a file: label (first_label + r) % 10; pixel j of channel c is (r + 7c + j) % 256.
std::vector<unsigned char> records(int count, int first_label) {
  std::vector<unsigned char> bytes;
  for (int r = 0; r < count; ++r) {
    bytes.push_back(static_cast<unsigned char>((first_label + r) % 10));
    for (int c = 0; c < 3; ++c)
      for (int j = 0; j < 1024; ++j)
        bytes.push_back(static_cast<unsigned char>((r + 7 * c + j) % 256));
  }
  return bytes;
}

void write(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("CIFAR-10 records stream in batches across files, scaled to [0, 1] and normalised") {
  TempDir dir;
  write(dir / "a.bin", records(3, 0));
  write(dir / "b.bin", records(2, 5));
  const nn::InputNormalization norm{{0.5f, 0.25f, 0.0f}, {0.5f, 2.0f, 1.0f}};
  CifarBinaryReader reader({dir / "a.bin", dir / "b.bin"}, norm);
  CHECK(reader.num_images() == 5);
  CifarBatch batch;
  std::vector<int> labels, sizes;
  std::vector<float> first_pixels;
  while (reader.next(2, batch)) {
    sizes.push_back(static_cast<int>(batch.images.n()));
    labels.insert(labels.end(), batch.labels.begin(), batch.labels.end());
    for (nn::Index i = 0; i < batch.images.n(); ++i)
      first_pixels.push_back(batch.images(i, 1, 0, 3));
  }
  CHECK(sizes == std::vector<int>{2, 2, 1});  // the middle batch spans both files
  CHECK(labels == std::vector<int>{0, 1, 2, 5, 6});
  CHECK(batch.images.n() == 0);
  // Record 1 of a.bin, channel 1 (G), pixel (0, 3): byte (1 + 7 + 3) = 11.
  CHECK(first_pixels[1] == (11.0f / 255.0f - 0.25f) / 2.0f);
  // Record 0 of b.bin (fourth image): byte 0 + 7 + 3 = 10.
  CHECK(first_pixels[3] == (10.0f / 255.0f - 0.25f) / 2.0f);

  reader.rewind();
  REQUIRE(reader.next(10, batch));
  CHECK(batch.images.n() == 5);
  CHECK(batch.images(4, 2, 31, 31) == static_cast<float>((1 + 14 + 1023) % 256) / 255.0f);
  CHECK_FALSE(reader.next(10, batch));
}

TEST_CASE("Without normalisation pixels are byte / 255 in R, G, B plane order") {
  TempDir dir;
  write(dir / "t.bin", records(1, 3));
  CifarBinaryReader reader({dir / "t.bin"}, {});
  CifarBatch batch;
  REQUIRE(reader.next(1, batch));
  CHECK(batch.labels == std::vector<int>{3});
  CHECK(batch.images(0, 0, 0, 0) == 0.0f);
  CHECK(batch.images(0, 0, 1, 0) == 32.0f / 255.0f);  // row-major: (1, 0) is pixel 32
  CHECK(batch.images(0, 2, 0, 1) == 15.0f / 255.0f);
}

TEST_CASE("Truncated, empty, mislabelled and missing files are errors naming the file") {
  TempDir dir;
  std::vector<unsigned char> bytes = records(2, 0);
  bytes.resize(bytes.size() - 100);
  write(dir / "cut.bin", bytes);
  CHECK(error_of([&] { CifarBinaryReader({dir / "cut.bin"}, {}); }) ==
        (dir / "cut.bin").string() +
            ": 6046 bytes is not a whole number of 3073-byte CIFAR-10 records (truncated or not "
            "CIFAR-10 binary)");
  write(dir / "empty.bin", {});
  CHECK(error_of([&] {
          CifarBinaryReader({dir / "empty.bin"}, {});
        }).starts_with((dir / "empty.bin").string() + ": 0 bytes"));
  bytes = records(3, 0);
  bytes[2 * 3073] = 10;
  write(dir / "label.bin", bytes);
  CifarBinaryReader reader({dir / "label.bin"}, {});
  CifarBatch batch;
  CHECK(error_of([&] { reader.next(5, batch); }) ==
        (dir / "label.bin").string() + ": record 2: label 10 is not in 0..9");
  CHECK(error_of([&] { CifarBinaryReader({dir / "none.bin"}, {}); }) ==
        (dir / "none.bin").string() + ": no such file");
  CHECK(cifar10_training_files("d").size() == 5);
  CHECK(cifar10_training_files("d")[4].filename() == "data_batch_5.bin");
  CHECK(cifar10_test_file("d").filename() == "test_batch.bin");
}

TEST_CASE("A file truncated after opening is an error naming the file and record") {
  TempDir dir;
  write(dir / "shrinks.bin", records(4, 0));
  CifarBinaryReader reader({dir / "shrinks.bin"}, {});
  CifarBatch batch;
  REQUIRE(reader.next(1, batch));
  fs::resize_file(dir / "shrinks.bin", 2 * 3073 + 10);
  CHECK(error_of([&] { reader.next(3, batch); }) ==
        (dir / "shrinks.bin").string() + ": record 1: file ended early (truncated while reading?)");
}

}  // namespace
}  // namespace pcmkit::data
