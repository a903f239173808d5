#include "pcmkit/data/cifar10_training_set.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <system_error>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;

// Appends the records of one file, checking its size and labels.
void append_records(const fs::path& file, std::vector<unsigned char>& records) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw InputError(file.string(), "", "no such file");
  const auto size = static_cast<std::int64_t>(fs::file_size(file, ec));
  if (ec) throw InputError(file.string(), "", "cannot read its size (" + ec.message() + ")");
  if (size == 0 || size % kCifarRecordBytes != 0)
    throw InputError(file.string(), "",
                     std::to_string(size) + " bytes is not a whole number of " +
                         std::to_string(kCifarRecordBytes) +
                         "-byte CIFAR-10 records (truncated or not CIFAR-10 binary)");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), "", "cannot open for reading");
  const std::size_t start = records.size();
  records.resize(start + static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(records.data() + start), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size))
    throw InputError(file.string(), "", "file ended early (truncated while reading?)");
  for (std::int64_t r = 0; r < size / kCifarRecordBytes; ++r) {
    const unsigned char label = records[start + static_cast<std::size_t>(r * kCifarRecordBytes)];
    if (label >= kCifarClasses)
      throw InputError(file.string(), "record " + std::to_string(r),
                       "label " + std::to_string(label) + " is not in 0..9");
  }
}

}  // namespace

CifarTrainingSet::CifarTrainingSet(const std::vector<fs::path>& files,
                                   nn::InputNormalization normalization)
    : normalization_(std::move(normalization)) {
  const bool none = normalization_.mean.empty() && normalization_.std.empty();
  PCMKIT_CHECK(none || (normalization_.mean.size() == kCifarChannels &&
                        normalization_.std.size() == kCifarChannels),
               "CifarTrainingSet: normalisation needs 3 means and 3 stds");
  for (float s : normalization_.std) PCMKIT_CHECK(s > 0.0f, "CifarTrainingSet: std <= 0");
  if (none) {
    normalization_.mean.assign(kCifarChannels, 0.0f);
    normalization_.std.assign(kCifarChannels, 1.0f);
  }
  for (const fs::path& file : files) append_records(file, records_);
  num_images_ = static_cast<std::int64_t>(records_.size()) / kCifarRecordBytes;
}

void CifarTrainingSet::make_batch(std::span<const std::int64_t> indices,
                                  const CifarAugmentation& augmentation,
                                  std::uint64_t seed,
                                  std::uint64_t epoch,
                                  CifarBatch& batch) const {
  PCMKIT_CHECK(augmentation.padding >= 0, "CifarTrainingSet: padding < 0");
  PCMKIT_CHECK(augmentation.cutout >= 0 && augmentation.cutout <= kCifarImageSide,
               "CifarTrainingSet: cutout outside 0..32");
  const auto n = static_cast<nn::Index>(indices.size());
  if (batch.images.n() != n) batch.images = nn::Tensor::uninitialized(n, kCifarChannels, 32, 32);
  batch.labels.resize(indices.size());

  std::array<float, 256 * kCifarChannels> lookup{};  // byte → normalised value, per channel
  for (int c = 0; c < kCifarChannels; ++c)
    for (int v = 0; v < 256; ++v)
      lookup[static_cast<std::size_t>(c * 256 + v)] =
          (static_cast<float>(v) / 255.0f - normalization_.mean[static_cast<std::size_t>(c)]) /
          normalization_.std[static_cast<std::size_t>(c)];

  for (std::int64_t image : indices)  // checked here: an exception must not leave a parallel loop
    PCMKIT_CHECK(image >= 0 && image < num_images_, "CifarTrainingSet: index out of range");
  const CounterRng rng(seed, RandomStream::kAugmentation);
  const int pad = augmentation.enabled ? augmentation.padding : 0;
  const auto span = static_cast<std::uint64_t>(2 * pad + 1);
#pragma omp parallel for schedule(static)
  for (nn::Index i = 0; i < n; ++i) {
    const std::int64_t image = indices[static_cast<std::size_t>(i)];
    const unsigned char* record = records_.data() + record_offset(image);
    batch.labels[static_cast<std::size_t>(i)] = record[0];
    // Offsets of the crop window in the padded image, minus the padding: source = target + d.
    int dy = 0, dx = 0;
    bool flip = false;
    int cut_y = kCifarImageSide, cut_x = kCifarImageSide;  // the Cutout square's corner (none)
    if (augmentation.enabled) {
      const std::uint64_t item =
          epoch * static_cast<std::uint64_t>(num_images_) + static_cast<std::uint64_t>(image);
      dy = static_cast<int>(std::min<std::uint64_t>(
               static_cast<std::uint64_t>(rng.uniform(item, 0) * static_cast<double>(span)),
               span - 1)) -
           pad;
      dx = static_cast<int>(std::min<std::uint64_t>(
               static_cast<std::uint64_t>(rng.uniform(item, 1) * static_cast<double>(span)),
               span - 1)) -
           pad;
      flip = augmentation.flip && rng.uniform(item, 2) < 0.5;
      if (augmentation.cutout > 0) {
        // Rows and columns [centre − ⌊L/2⌋, centre − ⌊L/2⌋ + L) ∩ [0, 32): DeVries & Taylor's
        // square for even L (their code cuts L − 1 for odd L).
        const auto centre = [&](std::uint64_t draw) {
          return static_cast<int>(std::min<std::uint64_t>(
              static_cast<std::uint64_t>(rng.uniform(item, draw) * kCifarImageSide),
              kCifarImageSide - 1));
        };
        cut_y = centre(3) - augmentation.cutout / 2;
        cut_x = centre(4) - augmentation.cutout / 2;
      }
    }
    for (int c = 0; c < kCifarChannels; ++c) {
      const unsigned char* plane = record + 1 + c * kCifarPlane;
      const float* to_float = lookup.data() + c * 256;
      const float padded = to_float[0];  // a black pixel, normalised
      for (int y = 0; y < kCifarImageSide; ++y) {
        const int sy = y + dy;
        for (int x = 0; x < kCifarImageSide; ++x) {
          // The crop is cut first, then mirrored: output x reads crop column 31 − x.
          const int sx = (flip ? kCifarImageSide - 1 - x : x) + dx;
          const bool inside = sy >= 0 && sy < kCifarImageSide && sx >= 0 && sx < kCifarImageSide;
          const bool cut = y >= cut_y && y < cut_y + augmentation.cutout && x >= cut_x &&
                           x < cut_x + augmentation.cutout;
          batch.images(i, c, y, x) =
              cut ? 0.0f : (inside ? to_float[plane[sy * kCifarImageSide + sx]] : padded);
        }
      }
    }
  }
}

std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint64_t epoch) {
  return random_permutation(n, CounterRng(seed, RandomStream::kShuffle), epoch, 0);
}

std::vector<std::int64_t> random_permutation(std::int64_t n,
                                             const CounterRng& rng,
                                             std::uint64_t item,
                                             std::uint64_t first_draw) {
  PCMKIT_CHECK(n >= 0, "random_permutation: n < 0");
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto draw = first_draw + static_cast<std::uint64_t>(i);
    const auto j = std::min<std::int64_t>(
        static_cast<std::int64_t>(rng.uniform(item, draw) * static_cast<double>(i + 1)), i);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

}  // namespace pcmkit::data
