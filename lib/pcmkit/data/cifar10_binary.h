// CIFAR-10 in its canonical binary format (Krizhevsky 2009, "cifar-10-batches-bin"):
// test_batch.bin and data_batch_1..5.bin, each a sequence of 3073-byte records: one label byte
// (0–9), then 1024 R, 1024 G and 1024 B bytes, each a 32×32 plane in row-major order.
// Images are streamed in batches (memory is bounded by the batch, not the file) and converted as
// torchvision's ToTensor + Normalize: x = (byte/255 − mean_c) / std_c, in float.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "pcmkit/data/image_dataset.h"
#include "pcmkit/nn/input_normalization.h"

namespace pcmkit::data {

inline constexpr int kCifarImageSide = 32;
inline constexpr int kCifarChannels = 3;
inline constexpr int kCifarClasses = 10;
inline constexpr std::int64_t kCifarPlane = kCifarImageSide * kCifarImageSide;       // one channel
inline constexpr std::int64_t kCifarRecordBytes = 1 + kCifarChannels * kCifarPlane;  // 3073

// A batch of [n, 3, 32, 32] images and labels in 0..9.
using CifarBatch = ImageBatch;

// Reads one or more files in order, as one stream of records.
class CifarBinaryReader final : public ImageDataset {
 public:
  // Opens every file and checks its size. `normalization` is empty (pixels in [0, 1]) or has
  // three means and three positive stds (PCMKIT_CHECK).
  // Errors: InputError{file, "", problem} for a missing or unreadable file, or a size that is
  //   zero or not a whole number of 3073-byte records.
  CifarBinaryReader(std::vector<std::filesystem::path> files, nn::InputNormalization normalization);

  std::int64_t num_images() const override { return num_images_; }
  int num_classes() const override { return kCifarClasses; }
  // Reads the next min(max_images, remaining) records into `batch`; false (and an empty batch)
  // when none remain. Requires: max_images ≥ 1 (PCMKIT_CHECK).
  // Errors: InputError{file, "record K", problem} for a label outside 0..9 or a read that fails
  //   (a file truncated after opening).
  bool next(std::int64_t max_images, ImageBatch& batch) override;
  // Starts again from the first record of the first file.
  void rewind() override;

 private:
  std::vector<std::filesystem::path> files_;
  std::vector<std::int64_t> records_per_file_;
  nn::InputNormalization normalization_;
  std::int64_t num_images_ = 0;
  std::size_t file_index_ = 0;
  std::int64_t record_in_file_ = 0;
  std::ifstream stream_;
  std::vector<unsigned char> buffer_;
};

// The CIFAR-10 training split's per-channel mean and std of pixels in [0, 1] (the usual
// published values), for networks trained from scratch.
nn::InputNormalization cifar10_normalization();

// data_batch_1.bin .. data_batch_5.bin in `directory` (the training split).
std::vector<std::filesystem::path> cifar10_training_files(const std::filesystem::path& directory);
// Where tools/fetch_cifar10.sh caches CIFAR-10 and the commands look by default:
// $HOME/.cache/pcmkit/cifar10 (./.cache/pcmkit/cifar10 when HOME is unset).
std::filesystem::path default_cifar10_dir();
// test_batch.bin in `directory`.
std::filesystem::path cifar10_test_file(const std::filesystem::path& directory);

}  // namespace pcmkit::data
