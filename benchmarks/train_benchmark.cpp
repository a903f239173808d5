// Training speed of the CIFAR ResNet-32 of issue #4 (resnet32-pcm): batch 128 of random 3×32×32
// images and random labels, steps of zero_grad, forward_train, softmax cross-entropy (label
// smoothing 0.1), backward and SGD (lr 0.1, momentum 0.9, weight decay 5e-4), with pcmkit and,
// in the same run, with PyTorch (benchmarks/pytorch_train.py through /usr/bin/python3, same
// architecture and step, same thread count; skipped when python3 or torch is missing).
// The two take turns: ROUNDS rounds of STEPS steps of pcmkit then STEPS steps of PyTorch (kept
// running between its turns, waiting on a pipe), after one warm-up step each. On a shared host
// the speed of both drifts by 30% within minutes; a ratio of two rates measured minutes apart
// mostly measured the drift, while rounds seconds apart see about the same host. Prints each
// round's rates and ratio, the median of the round ratios (the figure issue #16 asks about),
// and pcmkit's time per phase.
// The process keeps freed memory in the heap as pcmkit does (core/detail/allocator_tuning.h): a
// training step allocates and frees tensors of several MB per layer, and returning them to the
// kernel costs ~10% in page faults per step. Usage: train_benchmark [steps=10] [threads=2]
// [batch=128] [torch=1] [rounds=5] (--help: what each means).
//   (torch=0: pcmkit only; 1: PyTorch with pcmkit's heap settings; 2: PyTorch as installed)
// On a shared machine run it with OMP_WAIT_POLICY=passive (PyTorch inherits it): with more busy
// threads than cores, spinning at the ~250 parallel-region barriers of a step made either side
// 2-3× slower at random, and the ratio meaningless; it also keeps PyTorch's idle threads asleep
// during pcmkit's turns.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark_clock.h"
#include "benchmark_command_line.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/nn/loss.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/sgd.h"
#include "pytorch_heap.h"

using namespace pcmkit;
using benchmark::Clock;
using benchmark::seconds_since;
namespace fs = std::filesystem;

namespace {

double json_number(const std::string& line, const std::string& key) {
  const std::size_t at = line.find("\"" + key + "\":");
  return at == std::string::npos ? 0.0 : std::atof(line.c_str() + at + key.size() + 3);
}

// benchmarks/pytorch_train.py in its serve mode: started (and warmed up) once, then
// run(steps) times that many steps while this process waits. Not usable (ready() false) when
// it could not be started; `why_not` says why.
class PyTorchWorker {
 public:
  PyTorchWorker(const PyTorchWorker&) = delete;
  PyTorchWorker& operator=(const PyTorchWorker&) = delete;
  PyTorchWorker(int threads, int batch) {
    const fs::path python = "/usr/bin/python3";
    const fs::path script = fs::path(__FILE__).parent_path() / "pytorch_train.py";
    if (!fs::exists(python) || !fs::exists(script)) {
      why_not = "no " + (fs::exists(python) ? script : python).string();
      return;
    }
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
      why_not = "pipe failed";
      return;
    }
    const std::string threads_text = std::to_string(threads), batch_text = std::to_string(batch);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      dup2(from_child[1], STDERR_FILENO);
      for (const int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
      execl(python.c_str(), python.c_str(), script.c_str(), threads_text.c_str(),
            batch_text.c_str(), "serve", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    if (pid_ < 0) {
      close(to_child[1]);
      close(from_child[0]);
      why_not = "fork failed";
      return;
    }
    commands_ = fdopen(to_child[1], "w");
    replies_ = fdopen(from_child[0], "r");
    std::string line;
    if (!read_json_line(line) || line.find("\"ready\"") == std::string::npos) {
      const int status = finish();
      why_not = WIFEXITED(status) && WEXITSTATUS(status) == 3
                    ? "torch is not importable by /usr/bin/python3"
                    : "pytorch_train.py failed: " + line;
      return;
    }
    ready_ = true;
  }
  ~PyTorchWorker() { finish(); }

  bool ready() const { return ready_; }
  std::string why_not;

  // Seconds for `steps` steps, or a negative value (and why_not) when the worker failed.
  double run(int steps) {
    std::fprintf(commands_, "%d\n", steps);
    std::fflush(commands_);
    std::string line;
    if (!read_json_line(line)) {
      why_not = "pytorch_train.py stopped: " + line;
      ready_ = false;
      return -1;
    }
    return json_number(line, "seconds");
  }

 private:
  // The next line starting with '{' (PyTorch may print warnings first); false at end of output,
  // with what was read in `line`.
  bool read_json_line(std::string& line) {
    char buffer[4096];
    line.clear();
    while (replies_ && std::fgets(buffer, sizeof buffer, replies_)) {
      if (buffer[0] == '{') {
        line = buffer;
        return true;
      }
      line += buffer;
    }
    return false;
  }
  int finish() {
    if (commands_) std::fclose(commands_);  // end of input: the worker returns
    if (replies_) std::fclose(replies_);
    commands_ = replies_ = nullptr;
    int status = 0;
    if (pid_ > 0) waitpid(pid_, &status, 0);
    pid_ = -1;
    ready_ = false;
    return status;
  }

  pid_t pid_ = -1;
  FILE* commands_ = nullptr;
  FILE* replies_ = nullptr;
  bool ready_ = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t k = values.size() / 2;
  return values.size() % 2 ? values[k] : 0.5 * (values[k - 1] + values[k]);
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();    // as pcmkit itself runs
  std::signal(SIGPIPE, SIG_IGN);  // a worker that died is reported, not fatal
  int steps = 10, threads = 2, batch = 128, torch_mode = 1, rounds = 5;
  CLI::App app{"Training speed of resnet32-pcm, pcmkit against PyTorch in the same run",
               "train_benchmark"};
  app.add_option("steps", steps, "timed steps per round")->check(CLI::Range(1, 1 << 20));
  app.add_option("threads", threads, "threads of both")->check(CLI::Range(1, 1024));
  app.add_option("batch", batch, "images per step")->check(CLI::Range(2, 1 << 16));
  app.add_option("torch", torch_mode,
                 "0: no PyTorch; 1: PyTorch with pcmkit's heap settings; 2: as installed")
      ->check(CLI::Range(0, 2));
  app.add_option("rounds", rounds, "rounds of both")->check(CLI::Range(1, 1 << 20));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    const bool with_torch = torch_mode != 0;
    const benchmark::PyTorchHeap heap = benchmark::pytorch_heap_from_argument(torch_mode);
    // Started first, so that its warm-up does not share the machine with pcmkit's turns.
    std::unique_ptr<PyTorchWorker> torch;
    std::string why_not = "torch=0";
    if (with_torch) {
      benchmark::set_pytorch_heap(heap);
      torch = std::make_unique<PyTorchWorker>(threads, batch);
      if (!torch->ready()) why_not = torch->why_not;
    }
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
    std::printf("resnet32-pcm training, batch %d, %d rounds of %d steps each, %d threads\n", batch,
                rounds, steps, threads);
    double pcmkit_s = 0, torch_s = 0;
    std::vector<double> ratios;
    for (int r = 0; r < rounds; ++r) {
      const Clock::time_point start = Clock::now();
      for (int s = 0; s < steps; ++s) step();
      const double round_s = seconds_since(start);
      pcmkit_s += round_s;
      const double pcmkit_rate = steps * batch / round_s;
      std::printf("round %d: pcmkit %7.1f images/s", r + 1, pcmkit_rate);
      if (torch && torch->ready()) {
        const double seconds = torch->run(steps);
        if (seconds > 0) {
          torch_s += seconds;
          const double torch_rate = steps * batch / seconds;
          ratios.push_back(pcmkit_rate / torch_rate);
          std::printf(", PyTorch %7.1f images/s, ratio %.2f", torch_rate, ratios.back());
        } else {
          why_not = torch->why_not;
        }
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    const int total_steps = rounds * steps;
    std::printf(
        "pcmkit:  %8.1f images/s  (all rounds; per step: forward+loss %.3f s, backward %.3f s, "
        "SGD %.4f s; last loss %.4f)\n",
        total_steps * batch / pcmkit_s, forward_s / total_steps, backward_s / total_steps,
        update_s / total_steps, loss);
    if (static_cast<int>(ratios.size()) == rounds) {
      std::printf("PyTorch: %8.1f images/s  (all rounds; %s)\n", total_steps * batch / torch_s,
                  benchmark::describe(heap));
      std::printf(
          "ratio pcmkit/PyTorch: %.2f (median of %d rounds, range %.2f-%.2f; all rounds %.2f; "
          "issue #16 asks >= 4)\n",
          median(ratios), rounds, *std::min_element(ratios.begin(), ratios.end()),
          *std::max_element(ratios.begin(), ratios.end()), torch_s / pcmkit_s);
    } else {
      std::printf("PyTorch: skipped (%s)\n", why_not.c_str());
    }
    return 0;
  });
}
