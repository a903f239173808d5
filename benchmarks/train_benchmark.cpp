// Training speed of the CIFAR ResNet-32 of issue #4 (resnet32-pcm): batch 128 of random 3×32×32
// images and random labels, steps of zero_grad, forward_train, softmax cross-entropy (label
// smoothing 0.1), backward and SGD (lr 0.1, momentum 0.9, weight decay 5e-4), with pcmkit and,
// in the same run, with PyTorch (benchmarks/pytorch_train.py through /usr/bin/python3, same
// architecture and step, same thread count; skipped when python3 or torch is missing).
// Prints images/s of each, their ratio, and pcmkit's time per phase. One warm-up step each.
// The process keeps freed memory in the heap as pcmkit does (core/detail/allocator_tuning.h): a training
// step allocates and frees tensors of several MB per layer, and returning them to the kernel
// costs ~10% in page faults per step.
// Usage: train_benchmark [steps=10] [threads=2] [batch=128] [torch=1] (torch=0: pcmkit only)
// On a shared machine run it with OMP_WAIT_POLICY=passive (PyTorch inherits it): with more busy
// threads than cores, spinning at the ~250 parallel-region barriers of a step made either side
// 2-3× slower at random, and the ratio meaningless.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "benchmark_clock.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/nn/loss.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/sgd.h"

using namespace pcmkit;
using benchmark::Clock;
using benchmark::seconds_since;
namespace fs = std::filesystem;

namespace {

double json_number(const std::string& line, const std::string& key) {
  const std::size_t at = line.find("\"" + key + "\":");
  return at == std::string::npos ? 0.0 : std::atof(line.c_str() + at + key.size() + 3);
}

// PyTorch images/s, or 0 with the reason in `why_not`.
double run_pytorch(int threads, int batch, int steps, std::string& why_not) {
  const fs::path python = "/usr/bin/python3";
  const fs::path script = fs::path(__FILE__).parent_path() / "pytorch_train.py";
  if (!fs::exists(python) || !fs::exists(script)) {
    why_not = "no " + (fs::exists(python) ? script : python).string();
    return 0;
  }
  const std::string command = python.string() + " '" + script.string() + "' " +
                              std::to_string(threads) + " " + std::to_string(batch) + " " +
                              std::to_string(steps) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    why_not = "popen failed";
    return 0;
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pclose(pipe);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    why_not = "torch is not importable by /usr/bin/python3";
    return 0;
  }
  const std::size_t line = output.rfind("{\"steps\"");
  if (status != 0 || line == std::string::npos) {
    why_not = "pytorch_train.py failed: " + output;
    return 0;
  }
  return json_number(output.substr(line), "images_per_s");
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();  // as pcmkit itself runs
  const int steps = argc > 1 ? std::atoi(argv[1]) : 10;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 128;
  const bool with_torch = argc > 4 ? std::atoi(argv[4]) != 0 : true;
  if (steps < 1 || threads < 1 || batch < 2) {
    std::fprintf(stderr, "usage: train_benchmark [steps>=1] [threads>=1] [batch>=2] [torch=0|1]\n");
    return 2;
  }
  try {
    set_num_threads(threads);
    nn::CifarResNetOptions options = nn::resnet32_pcm_options();
    options.init_seed = 1;
    nn::Network network = nn::make_cifar_resnet(options);
    nn::SgdOptions sgd_options;
    sgd_options.weight_decay = 5e-4;
    nn::Sgd sgd(network.parameters(), sgd_options);

    const CounterRng rng(2, RandomStream::kUser);
    nn::Tensor images(batch, 3, 32, 32);
    for (nn::Index k = 0; k < images.size(); ++k)
      images.data()[k] =
          static_cast<float>(2.0 * rng.uniform(0, static_cast<std::uint64_t>(k)) - 1.0);
    std::vector<int> labels(static_cast<std::size_t>(batch));
    for (std::size_t i = 0; i < labels.size(); ++i)
      labels[i] = static_cast<int>(10.0 * rng.uniform(1, i)) % 10;

    double forward_s = 0, backward_s = 0, update_s = 0, loss = 0;
    const auto step = [&] {
      Clock::time_point t = Clock::now();
      network.zero_grad();
      const nn::RowMatrixXf logits = network.forward_train(images);
      const nn::CrossEntropyResult result = nn::softmax_cross_entropy(logits, labels, 0.1);
      loss = result.loss;
      forward_s += seconds_since(t);
      t = Clock::now();
      network.backward(result.dlogits);
      backward_s += seconds_since(t);
      t = Clock::now();
      sgd.step(0.1);
      update_s += seconds_since(t);
    };
    step();  // warm-up
    forward_s = backward_s = update_s = 0;
    const Clock::time_point start = Clock::now();
    for (int s = 0; s < steps; ++s) step();
    const double total_s = seconds_since(start);
    const double pcmkit_rate = steps * batch / total_s;
    std::printf("resnet32-pcm training, batch %d, %d steps, %d threads\n", batch, steps, threads);
    std::printf(
        "pcmkit:  %8.1f images/s  (per step: forward+loss %.3f s, backward %.3f s, "
        "SGD %.4f s; last loss %.4f)\n",
        pcmkit_rate, forward_s / steps, backward_s / steps, update_s / steps, loss);
    std::fflush(stdout);
    std::string why_not = "torch=0";
    const double torch_rate = with_torch ? run_pytorch(threads, batch, steps, why_not) : 0.0;
    if (torch_rate > 0) {
      std::printf("PyTorch: %8.1f images/s\n", torch_rate);
      std::printf("ratio pcmkit/PyTorch: %.2f (issue #4 asks >= 2)\n", pcmkit_rate / torch_rate);
    } else {
      std::printf("PyTorch: skipped (%s)\n", why_not.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_benchmark: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
