#include "pcmkit/data/cifar10_binary.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <system_error>

#include "pcmkit/core/error.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;

}  // namespace

CifarBinaryReader::CifarBinaryReader(std::vector<fs::path> files,
                                     nn::InputNormalization normalization)
    : files_(std::move(files)), normalization_(std::move(normalization)) {
  const bool none = normalization_.mean.empty() && normalization_.std.empty();
  PCMKIT_CHECK(none || (normalization_.mean.size() == kCifarChannels &&
                        normalization_.std.size() == kCifarChannels),
               "CifarBinaryReader: normalisation needs 3 means and 3 stds");
  for (float s : normalization_.std) PCMKIT_CHECK(s > 0.0f, "CifarBinaryReader: std <= 0");
  if (none) {
    normalization_.mean.assign(kCifarChannels, 0.0f);
    normalization_.std.assign(kCifarChannels, 1.0f);
  }
  for (const fs::path& file : files_) {
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (!fs::exists(status)) throw InputError(file.string(), "", "no such file");
    if (!fs::is_regular_file(status)) throw InputError(file.string(), "", "not a regular file");
    const std::uintmax_t bytes = fs::file_size(file, ec);
    if (ec) throw InputError(file.string(), "", "cannot read its size (" + ec.message() + ")");
    const auto size = static_cast<std::int64_t>(bytes);
    if (size == 0 || size % kCifarRecordBytes != 0)
      throw InputError(file.string(), "",
                       std::to_string(size) + " bytes is not a whole number of " +
                           std::to_string(kCifarRecordBytes) +
                           "-byte CIFAR-10 records (truncated or not CIFAR-10 binary)");
    records_per_file_.push_back(size / kCifarRecordBytes);
    num_images_ += size / kCifarRecordBytes;
  }
  rewind();
}

void CifarBinaryReader::rewind() {
  stream_.close();
  stream_.clear();
  file_index_ = 0;
  record_in_file_ = 0;
}

bool CifarBinaryReader::next(std::int64_t max_images, ImageBatch& batch) {
  PCMKIT_CHECK(max_images >= 1, "CifarBinaryReader::next: max_images < 1");
  // Skip finished files and open the next one.
  std::int64_t remaining = 0;
  for (std::size_t f = file_index_; f < files_.size(); ++f)
    remaining += records_per_file_[f] - (f == file_index_ ? record_in_file_ : 0);
  const std::int64_t n = std::min(max_images, remaining);
  batch.labels.resize(static_cast<std::size_t>(n));
  if (batch.images.n() != n) batch.images = nn::Tensor(n, kCifarChannels, 32, 32);
  if (n == 0) return false;

  std::array<float, 256 * kCifarChannels> lookup{};  // byte → normalised value, per channel
  for (int c = 0; c < kCifarChannels; ++c)
    for (int v = 0; v < 256; ++v)
      lookup[c * 256 + v] =
          (static_cast<float>(v) / 255.0f - normalization_.mean[c]) / normalization_.std[c];

  for (std::int64_t i = 0; i < n;) {
    while (record_in_file_ == records_per_file_[file_index_]) {
      ++file_index_;
      record_in_file_ = 0;
      stream_.close();
    }
    const std::string file = files_[file_index_].string();
    if (!stream_.is_open()) {
      stream_.clear();
      stream_.open(files_[file_index_], std::ios::binary);
      if (!stream_) throw InputError(file, "", "cannot open for reading");
    }
    const std::int64_t count = std::min(n - i, records_per_file_[file_index_] - record_in_file_);
    buffer_.resize(static_cast<std::size_t>(count * kCifarRecordBytes));
    stream_.read(reinterpret_cast<char*>(buffer_.data()),
                 static_cast<std::streamsize>(buffer_.size()));
    if (stream_.gcount() != static_cast<std::streamsize>(buffer_.size()))
      throw InputError(file, "record " + std::to_string(record_in_file_),
                       "file ended early (truncated while reading?)");
    for (std::int64_t r = 0; r < count; ++r) {
      const unsigned char* record = buffer_.data() + r * kCifarRecordBytes;
      if (record[0] >= kCifarClasses)
        throw InputError(file, "record " + std::to_string(record_in_file_ + r),
                         "label " + std::to_string(record[0]) + " is not in 0..9");
      batch.labels[static_cast<std::size_t>(i + r)] = record[0];
      float* dst = batch.images.data() + (i + r) * kCifarChannels * kCifarPlane;
      for (int c = 0; c < kCifarChannels; ++c)
        for (std::int64_t j = 0; j < kCifarPlane; ++j)
          dst[c * kCifarPlane + j] = lookup[c * 256 + record[1 + c * kCifarPlane + j]];
    }
    record_in_file_ += count;
    i += count;
  }
  return true;
}

std::vector<fs::path> cifar10_training_files(const fs::path& directory) {
  std::vector<fs::path> files;
  for (int k = 1; k <= 5; ++k)
    files.push_back(directory / ("data_batch_" + std::to_string(k) + ".bin"));
  return files;
}

fs::path default_cifar10_dir() {
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : ".") / ".cache/pcmkit/cifar10";
}

nn::InputNormalization cifar10_normalization() {
  return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
}

fs::path cifar10_test_file(const fs::path& directory) { return directory / "test_batch.bin"; }

}  // namespace pcmkit::data
