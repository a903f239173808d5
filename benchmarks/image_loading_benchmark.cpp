// ImageNet-style image loading speed (issue #3): JPEG decoding alone (the baseline) against
// decoding plus torchvision's preprocessing (Resize(256), CenterCrop(224), ToTensor, Normalize)
// through ImageFolderReader, in the same run, and, when /usr/bin/python3 has torchvision, PIL +
// torchvision on the same files (one process, one thread: how a DataLoader worker runs).
// Without a directory argument, 200 synthetic 500 × 375 JPEGs (ImageNet's most common size,
// quality 90, 4:2:0, smooth content with noise) are written to a temporary directory first.
// Prints images/s of each and the ratios. Both sides keep freed memory in their heap, as pcmkit's
// programs do (benchmarks/pytorch_heap.h; without it pcmkit's side ran ~10% slower here).
// Usage: image_loading_benchmark [image_folder] [threads=2]
#include <omp.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "benchmark_command_line.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/data/image_folder_reader.h"
#include "pytorch_heap.h"

namespace fs = std::filesystem;
using namespace pcmkit;

namespace {

constexpr int kSyntheticImages = 200, kWidth = 500, kHeight = 375;

void write_jpeg(const fs::path& path, const std::vector<unsigned char>& rgb, int w, int h) {
  FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) throw std::runtime_error(path.string() + ": cannot be written");
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, out);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(rgb.data()) + cinfo.next_scanline * w * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(out);
}

void make_synthetic_folder(const fs::path& dir) {
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 12.0);
  std::vector<unsigned char> rgb(static_cast<std::size_t>(kWidth) * kHeight * 3);
  for (int i = 0; i < kSyntheticImages; ++i) {
    const fs::path cls = dir / (i % 2 ? "b" : "a");
    fs::create_directories(cls);
    for (int y = 0; y < kHeight; ++y)
      for (int x = 0; x < kWidth; ++x)
        for (int c = 0; c < 3; ++c) {
          const double v = 128 + 90 * std::sin((x * (c + 1) + y * (i % 7 + 1)) / 37.0) + noise(rng);
          rgb[(static_cast<std::size_t>(y) * kWidth + x) * 3 + c] =
              static_cast<unsigned char>(std::clamp(v, 0.0, 255.0));
        }
    char name[32];
    std::snprintf(name, sizeof name, "%03d.jpg", i);
    write_jpeg(cls / name, rgb, kWidth, kHeight);
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();  // as pcmkit itself runs
  std::string folder;
  int threads = 2;
  CLI::App app{"ImageNet-style JPEG loading speed: decoding alone, pcmkit's reader, PIL",
               "image_loading_benchmark"};
  app.add_option("image_folder", folder, "JPEG folder (default: 200 synthetic JPEGs)");
  app.add_option("threads", threads)->check(CLI::Range(1, 1024));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    omp_set_num_threads(threads);
    fs::path dir = folder;
    // The synthetic folder goes when the run ends, however it ends.
    struct RemovedAtExit {
      fs::path path;
      ~RemovedAtExit() {
        std::error_code ignored;
        if (!path.empty()) fs::remove_all(path, ignored);
      }
    } temp;
    if (dir.empty()) {
      std::string pattern = (fs::temp_directory_path() / "pcmkit_images_XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a folder in " + fs::temp_directory_path().string());
      temp.path = pattern;
      dir = pattern;
      make_synthetic_folder(dir);
    }
    const data::ImageList list = data::list_images(dir, 1000);
    const auto n = static_cast<double>(list.files.size());

    // Baseline: decoding only, in parallel over the files as the reader does.
    auto t0 = std::chrono::steady_clock::now();
    long pixels = 0;
    // An exception must not leave the parallel loop: the first file's error is rethrown after it.
    std::vector<std::exception_ptr> errors(list.files.size());
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : pixels)
    for (std::size_t i = 0; i < list.files.size(); ++i) try {
        pixels += data::decode_jpeg_file(list.files[i].path).width;
      } catch (...) {
        errors[i] = std::current_exception();
      }
    for (const std::exception_ptr& error : errors)
      if (error) std::rethrow_exception(error);
    const double decode_rate = n / seconds_since(t0);

    data::ImageFolderReader reader(
        list, {256, 224, {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}});
    data::ImageBatch batch;
    t0 = std::chrono::steady_clock::now();
    while (reader.next(200, batch)) {
    }
    const double full_rate = n / seconds_since(t0);

    std::printf("%zu images, %d threads\n", list.files.size(), threads);
    std::printf("decode only:                 %8.1f images/s\n", decode_rate);
    std::printf("decode + resize/crop/norm:   %8.1f images/s (%.2f of decode only)\n", full_rate,
                full_rate / decode_rate);

    const std::string command =
        "/usr/bin/python3 -c \"import glob,sys,time,torch\nfrom PIL import Image\n"
        "from torchvision import transforms as T\ntorch.set_num_threads(1)\n"
        "t=T.Compose([T.Resize(256),T.CenterCrop(224),T.ToTensor(),"
        "T.Normalize([0.485,0.456,0.406],[0.229,0.224,0.225])])\n"
        "f=sorted(glob.glob(sys.argv[1]+'/**/*.jpg',recursive=True))\nt0=time.time()\n"
        "[t(Image.open(p).convert('RGB')) for p in f]\nprint(len(f)/(time.time()-t0))\" '" +
        dir.string() + "' 2>/dev/null";
    double pil_rate = 0.0;
    benchmark::set_pytorch_heap(benchmark::PyTorchHeap::kLikePcmkit);
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      if (std::fscanf(pipe, "%lf", &pil_rate) != 1) pil_rate = 0.0;
      ::pclose(pipe);
    }
    if (pil_rate > 0.0)
      std::printf("PIL + torchvision, 1 thread: %8.1f images/s (pcmkit %.2fx with %d threads)\n",
                  pil_rate, full_rate / pil_rate, threads);
    else
      std::printf("PIL + torchvision: skipped (/usr/bin/python3 with torchvision not found)\n");
    return pixels > 0 ? 0 : 1;
  });
}
