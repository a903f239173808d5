// fp32 forward-pass speed of the CIFAR-10 ResNet-32 (issue #3, section 4): the 10,000 test images
// in batches of 200 with 2 threads, with pcmkit and, in the same run, with PyTorch
// (benchmarks/pytorch_forward.py through /usr/bin/python3, eval mode, no_grad, 2 threads, same
// preprocessing; skipped when python3 or torch is missing). Both must reach the same accuracy.
// Prints images/s of each and their ratio, pcmkit's GFLOP/s (2·MACs, MACs counted from the layer
// shapes) and, as the machine's ceiling, Eigen's float 2048³ GEMM rate on 1 thread and on 2
// OpenMP threads (each computing half of the columns: the library builds with
// EIGEN_DONT_PARALLELIZE, so Eigen itself never threads a product).
// Images are decoded before either clock starts; each side runs one warm-up batch. pcmkit runs
// twice: with its default convolutions (Winograd F(4×4, 3×3) for 3×3 stride-1 layers), then with
// im2col + GEMM everywhere, to show the speed-up in the same run.
// PyTorch runs with freed memory kept in its heap, as pcmkit does (benchmarks/pytorch_heap.h:
// with glibc's defaults it ran 2.6x slower on a virtual machine, page-faulting each batch);
// torch=2 runs it on glibc's defaults, as the figures before session 24 were measured.
// Usage: forward_benchmark [weights.h5] [cifar10_dir] [threads=2] [torch=1]
//   (torch=0: pcmkit only; 1: PyTorch with pcmkit's heap settings; 2: PyTorch as installed)
#include <omp.h>
#include <sys/wait.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "benchmark_clock.h"
#include "benchmark_command_line.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "pytorch_heap.h"

using namespace pcmkit;
using benchmark::Clock;
using benchmark::seconds_since;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kBatchSize = 200;
constexpr Eigen::Index kGemmSize = 2048;
constexpr int kGemmRepeats = 3;  // best of 3: the machine is shared

// Multiply-accumulates per image of every Conv2d and Linear. Convolutions are visited in module
// order with the spatial size carried from one to the next, which holds for the CIFAR ResNets
// with shortcut A (the only extra path keeps the shape of the block's output).
double macs_per_image(nn::Network& network, nn::Index side) {
  double macs = 0;
  for (const nn::AnalogLayerRef& ref : network.analog_layers()) {
    const nn::RowMatrixXf& w = ref.layer->master_weight();  // out × fan_in (in·k²)
    if (const auto* conv = dynamic_cast<const nn::Conv2d*>(ref.layer)) {
      side = (side + 2 * conv->padding() - conv->kernel_size()) / conv->stride() + 1;
      macs += static_cast<double>(w.rows()) * static_cast<double>(w.cols()) *
              static_cast<double>(side * side);
    } else {
      macs += static_cast<double>(w.rows()) * static_cast<double>(w.cols());
    }
  }
  return macs;
}

// Best GFLOP/s of C = A·B (2·n³ flops) over kGemmRepeats, split over `threads` column blocks.
double gemm_gflops(int threads) {
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(kGemmSize, kGemmSize);
  const Eigen::MatrixXf b = Eigen::MatrixXf::Random(kGemmSize, kGemmSize);
  Eigen::MatrixXf c(kGemmSize, kGemmSize);
  const Eigen::Index cols_per_thread = kGemmSize / threads;
  double best_s = 1e30;
  for (int r = 0; r < kGemmRepeats; ++r) {
    const Clock::time_point start = Clock::now();
#pragma omp parallel num_threads(threads)
    {
      const Eigen::Index t = omp_get_thread_num();
      const Eigen::Index first = t * cols_per_thread;
      const Eigen::Index n = (t == threads - 1) ? kGemmSize - first : cols_per_thread;
      c.middleCols(first, n).noalias() = a * b.middleCols(first, n);
    }
    best_s = std::min(best_s, seconds_since(start));
  }
  if (!std::isfinite(c.sum())) std::printf("GEMM produced non-finite values\n");
  return 2.0 * std::pow(static_cast<double>(kGemmSize), 3) / best_s / 1e9;
}

struct PytorchRun {
  bool ran = false;
  std::string why_not;
  double images_per_s = 0, accuracy_percent = 0;
  std::string torch_version;
};

double json_number(const std::string& line, const std::string& key) {
  const std::size_t at = line.find("\"" + key + "\":");
  return at == std::string::npos ? 0.0 : std::atof(line.c_str() + at + key.size() + 3);
}

PytorchRun run_pytorch(const fs::path& weights, const fs::path& test_file, int threads) {
  PytorchRun run;
  const fs::path python = "/usr/bin/python3";
  const fs::path script = fs::path(__FILE__).parent_path() / "pytorch_forward.py";
  if (!fs::exists(python) || !fs::exists(script)) {
    run.why_not = "no " + (fs::exists(python) ? script : python).string();
    return run;
  }
  const std::string command = python.string() + " '" + script.string() + "' '" + weights.string() +
                              "' '" + test_file.string() + "' " + std::to_string(threads) + " " +
                              std::to_string(kBatchSize) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    run.why_not = "popen failed";
    return run;
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pclose(pipe);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    run.why_not = "torch is not importable by /usr/bin/python3";
    return run;
  }
  const std::size_t line_start = output.rfind("{\"images\"");
  if (status != 0 || line_start == std::string::npos) {
    run.why_not = "pytorch_forward.py failed: " + output;
    return run;
  }
  const std::string line = output.substr(line_start);
  run.ran = true;
  run.images_per_s = json_number(line, "images_per_s");
  run.accuracy_percent = json_number(line, "accuracy_percent");
  const std::size_t v = line.find("\"torch_version\": \"");
  if (v != std::string::npos) {
    const std::size_t begin = v + 18;
    run.torch_version = line.substr(begin, line.find('"', begin) - begin);
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();  // as pcmkit itself runs
  const char* home = std::getenv("HOME");
  std::string weights = "../shared/weights/resnet32-d509ac18.h5";
  std::string data_dir = (fs::path(home ? home : ".") / ".cache/pcmkit/cifar10").string();
  int threads = 2, torch_mode = 1;
  CLI::App app{"fp32 forward speed of the CIFAR-10 ResNet-32, pcmkit against PyTorch",
               "forward_benchmark"};
  app.add_option("weights", weights, "ResNet-32 weights (HDF5)")->capture_default_str();
  app.add_option("cifar10_dir", data_dir, "CIFAR-10 binary folder")->capture_default_str();
  app.add_option("threads", threads, "threads of both")->check(CLI::Range(1, 1024));
  app.add_option("torch", torch_mode,
                 "0: no PyTorch; 1: PyTorch with pcmkit's heap settings; 2: as installed")
      ->check(CLI::Range(0, 2));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    const benchmark::PyTorchHeap heap = benchmark::pytorch_heap_from_argument(torch_mode);
    set_num_threads(threads);
    nn::Network network = nn::make_resnet("resnet32");
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(weights, network);
    const fs::path test_file = data::cifar10_test_file(data_dir);
    data::CifarBinaryReader reader({test_file}, info.normalization);
    std::vector<data::CifarBatch> batches;
    for (data::CifarBatch b; reader.next(kBatchSize, b);) batches.push_back(std::move(b));
    const double macs = macs_per_image(network, data::kCifarImageSide);

    network.forward(batches.front().images);  // warm-up
    std::int64_t correct = 0, images = 0;
    const Clock::time_point start = Clock::now();
    for (const data::CifarBatch& b : batches) {
      const nn::RowMatrixXf logits = network.forward(b.images);
      for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        Eigen::Index label = 0;
        logits.row(i).maxCoeff(&label);
        correct += label == b.labels[static_cast<std::size_t>(i)];
      }
      images += logits.rows();
    }
    const double pcmkit_s = seconds_since(start);
    const double pcmkit_rate = static_cast<double>(images) / pcmkit_s;
    const double pcmkit_accuracy =
        100.0 * static_cast<double>(correct) / static_cast<double>(images);

    // The same pass with every convolution on im2col + GEMM (Winograd off), for the speed-up.
    for (const nn::AnalogLayerRef& ref : network.analog_layers())
      if (auto* conv = dynamic_cast<nn::Conv2d*>(ref.layer))
        conv->set_algorithm(nn::Conv2d::Algorithm::kIm2colGemm);
    network.forward(batches.front().images);  // warm-up
    const Clock::time_point start_im2col = Clock::now();
    for (const data::CifarBatch& b : batches) network.forward(b.images);
    const double im2col_rate = static_cast<double>(images) / seconds_since(start_im2col);

    PytorchRun torch_run;
    torch_run.why_not = "torch=0";
    if (torch_mode != 0) {
      benchmark::set_pytorch_heap(heap);
      torch_run = run_pytorch(weights, test_file, threads);
    }
    const double gemm_1 = gemm_gflops(1);
    const double gemm_2 = gemm_gflops(2);

    std::printf("ResNet-32 fp32 forward, %lld CIFAR-10 test images, batch %lld, %d threads\n",
                static_cast<long long>(images), static_cast<long long>(kBatchSize), threads);
    std::printf("MACs per image (from the layer shapes): %.2fM\n", macs / 1e6);
    std::printf("pcmkit : %8.1f images/s  %6.2f s  accuracy %.2f%%  %6.1f GFLOP/s\n", pcmkit_rate,
                pcmkit_s, pcmkit_accuracy, 2.0 * macs * pcmkit_rate / 1e9);
    std::printf("pcmkit with im2col + GEMM only: %8.1f images/s (Winograd speed-up %.2fx)\n",
                im2col_rate, pcmkit_rate / im2col_rate);
    if (torch_run.ran) {
      std::printf(
          "PyTorch: %8.1f images/s  %6.2f s  accuracy %.2f%%  %6.1f GFLOP/s  (torch %s; %s)\n",
          torch_run.images_per_s, static_cast<double>(images) / torch_run.images_per_s,
          torch_run.accuracy_percent, 2.0 * macs * torch_run.images_per_s / 1e9,
          torch_run.torch_version.c_str(), benchmark::describe(heap));
      std::printf("ratio pcmkit/PyTorch: %.2fx\n", pcmkit_rate / torch_run.images_per_s);
      if (std::abs(torch_run.accuracy_percent - pcmkit_accuracy) > 1e-9)
        std::printf("WARNING: accuracies differ (%.2f%% vs %.2f%%)\n", pcmkit_accuracy,
                    torch_run.accuracy_percent);
    } else {
      std::printf("PyTorch: not run (%s)\n", torch_run.why_not.c_str());
    }
    std::printf("Eigen sgemm %lld^3: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on 2 threads\n",
                static_cast<long long>(kGemmSize), gemm_1, gemm_2);
    std::printf("pcmkit forward reaches %.0f%% of the 2-thread GEMM rate\n",
                100.0 * 2.0 * macs * pcmkit_rate / 1e9 / gemm_2);
    return 0;
  });
}
