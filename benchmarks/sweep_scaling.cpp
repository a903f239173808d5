// Scale of an evaluation sweep (issue #17). Measures, in this process at 1 thread (per core):
// programming one realisation of ResNet-32 (361,722 weights on 723,444 devices), one read of it,
// one work item (a test pass) without and with AdaBS, and a ResNet-34 forward pass on 224x224
// images; then items per second of one sweep run by `pcmkit evaluate` as 1 rank x 2 threads and
// 2 ranks x 1 thread in the same run (mpirun; best of 2 each, alternating), and the dispatch
// cost per item from two sweeps of nearly free items. From these it prints the expected wall time
// of the paper-size sweeps on 1, 16 and 64 nodes (the model in the README).
// Usage: sweep_scaling [pcmkit=build/bin/pcmkit] [images=1000] [mpirun=mpirun]
//   run from the source folder (it reads ../shared/weights, ~/.cache/pcmkit/cifar10, calibration/)
#include <sys/wait.h>

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
#include "pcmkit/analog/programmed_network.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/nn/batch_norm_reestimation.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "pcmkit/parallel/mpi_item_runner.h"
#include "pcmkit/parallel/mpi_session.h"

using namespace pcmkit;
using benchmark::Clock;
using benchmark::seconds_since;
namespace fs = std::filesystem;

namespace {

template <class F>
double best_of(int n, F&& f) {
  double best = 1e300;
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    f();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

// Wall time of one command (its output discarded); exits on failure.
double run_s(const std::string& command) {
  const auto start = Clock::now();
  const int status = std::system((command + " > /dev/null 2>&1").c_str());
  const double s = seconds_since(start);
  if (status != 0) {
    std::fprintf(stderr, "sweep_scaling: failed (%d): %s\n", status, command.c_str());
    std::exit(1);
  }
  return s;
}

std::string hms(double s) {
  char text[64];
  if (s < 120)
    std::snprintf(text, sizeof text, "%.0f s", s);
  else if (s < 7200)
    std::snprintf(text, sizeof text, "%.0f min", s / 60);
  else
    std::snprintf(text, sizeof text, "%.1f h", s / 3600);
  return text;
}

// Under mpirun: the cost of handing out an item and gathering its result, from items that each
// keep a core busy for 2 ms. Rank 0 prints the overhead per item in microseconds: the wall time
// beyond the ideal (items × 2 ms / ranks), shared out over the items.
int dispatch_cost() {
  parallel::MpiSession session;
  parallel::MpiItemRunner runner;
  constexpr int kItems = 1000;
  constexpr double kItemS = 0.002;
  std::vector<std::int64_t> items(kItems);
  for (int i = 0; i < kItems; ++i) items[static_cast<std::size_t>(i)] = i;
  const auto start = Clock::now();
  const bool collector = runner.run(
      items,
      [](std::int64_t i) {
        const auto begin = Clock::now();
        while (seconds_since(begin) < kItemS) {
        }
        return static_cast<double>(i);
      },
      [](std::int64_t, double) {});
  const double s = seconds_since(start);
  const double ideal = kItems * kItemS / session.size();
  if (collector) std::printf("%.1f\n", 1e6 * (s - ideal) * session.size() / kItems);
  session.finish(0);
  return 0;
}

// The first line a command prints.
std::string first_line(const std::string& command) {
  std::string line;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buffer[256];
    if (std::fgets(buffer, sizeof buffer, p)) line = buffer;
    pclose(p);
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();  // as pcmkit itself runs
  if (parallel::launched_by_mpirun()) return dispatch_cost();
  std::string pcmkit = "build/bin/pcmkit", mpirun = "mpirun";
  std::int64_t images = 1000;
  CLI::App app{"Evaluation sweeps on one machine and over MPI: parts, dispatch cost, scaling",
               "sweep_scaling"};
  app.add_option("pcmkit", pcmkit, "the pcmkit program")->capture_default_str();
  app.add_option("images", images, "test images per item")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000}));
  app.add_option("mpirun", mpirun, "the mpirun program")->capture_default_str();
  return benchmark::run_benchmark(app, argc, argv, [&] {
    const fs::path weights = "../shared/weights/resnet32-d509ac18.h5";
    const char* home = std::getenv("HOME");
    const fs::path cifar = fs::path(home ? home : ".") / ".cache/pcmkit/cifar10";
    const std::string model_file = "calibration/pcm_like_nandakumar2019.json";
    set_num_threads(1);

    // --- Parts, in this process, 1 thread.
    nn::Network network = nn::make_resnet("resnet32");
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(weights, network);
    const device::PcmModel model = device::read_model_file(model_file).model;
    data::CifarBinaryReader test({data::cifar10_test_file(cifar)}, info.normalization);
    data::CifarBinaryReader calibration({cifar / "data_batch_1.bin"}, info.normalization);
    std::unique_ptr<analog::ProgrammedNetwork> programmed;
    const double t_program = best_of(3, [&] {
      programmed.reset();
      programmed =
          std::make_unique<analog::ProgrammedNetwork>(network, &model, analog::AnalogMapping{}, 1);
    });
    const double t_read = best_of(3, [&] { programmed->read(86400.0); });
    programmed->load(analog::DriftCompensation::kGlobal);
    const double t_pass =
        best_of(2, [&] { experiment::evaluate_accuracy(network, test, 200, images); });
    nn::BatchNormStatistics trained(network);
    const double t_adabs =
        best_of(2, [&] { nn::reestimate_batch_norms(network, calibration, 2600, 200); });
    trained.restore();
    programmed->unload();
    const double per_image32 = t_pass / static_cast<double>(images);

    nn::Network r34 = nn::make_resnet("resnet34");
    nn::initialize_for_training(r34, 1);
    nn::Tensor x(4, 3, 224, 224);
    for (Eigen::Index i = 0; i < x.values().size(); ++i) x.values()[i] = std::sin(0.001f * i);
    const double per_image34 = best_of(2, [&] { r34.forward(x); }) / 4.0;

    std::printf("parts (1 thread, this host):\n");
    std::printf("  program one ResNet-32 realisation   %8.3f s\n", t_program);
    std::printf("  read it at one time                  %8.3f s\n", t_read);
    std::printf("  ResNet-32 test pass, per image       %8.3f ms  (10,000 images: %.1f s)\n",
                1e3 * per_image32, 1e4 * per_image32);
    std::printf("  AdaBS re-estimation, 2,600 images    %8.3f s\n", t_adabs);
    std::printf("  ResNet-34 forward 224x224, per image %8.3f ms  (50,000 images: %s)\n",
                1e3 * per_image34, hms(5e4 * per_image34).c_str());

    // --- One sweep through pcmkit evaluate: 1 rank x 2 threads against 2 ranks x 1 thread.
    const fs::path out = fs::temp_directory_path() / "pcmkit_sweep_scaling";
    const std::string sweep = " evaluate --quiet --model " + model_file + " --weights " +
                              weights.string() + " --arch resnet32 --data " + cifar.string() +
                              " --times 25,1d --repeats 4 --max-images " + std::to_string(images) +
                              " --adabs-images 1000";
    // No binding: a rank's threads must be free to use more than one core.
    const std::string mpi = mpirun + " --allow-run-as-root --oversubscribe --bind-to none -np ";
    const auto run_sweep = [&](int ranks, int threads, const std::string& extra = "") {
      fs::remove_all(out);
      return run_s(mpi + std::to_string(ranks) + " " + pcmkit + sweep + extra + " --threads " +
                   std::to_string(threads) + " -o " + out.string());
    };
    const int items = 1 + 4 * 2 * 3;
    double one_by_two = 1e300, two_by_one = 1e300;
    for (int k = 0; k < 2; ++k) {
      one_by_two = std::min(one_by_two, run_sweep(1, 2));
      two_by_one = std::min(two_by_one, run_sweep(2, 1));
    }
    std::printf(
        "\nsweep: %d items of %lld images (ResNet-32, 2 times, 4 realisations, 3 compensations)\n",
        items, static_cast<long long>(images));
    std::printf("  1 rank  x 2 threads  %7.2f s  %6.3f items/s  (baseline)\n", one_by_two,
                items / one_by_two);
    std::printf("  2 ranks x 1 thread   %7.2f s  %6.3f items/s  ratio %.3f\n", two_by_one,
                items / two_by_one, one_by_two / two_by_one);

    // Dispatch (request, hand-out, result to rank 0) per item, on items that cost nothing.
    const double dispatch_us =
        std::atof(first_line(mpi + "2 " + std::string(argv[0]) + " 2>/dev/null").c_str());
    std::printf("  dispatch and gather per item   %.0f us (2 ranks, 1,000 items of 2 ms)\n",
                dispatch_us);
    fs::remove_all(out);

    // --- The model: T = ceil(items / ranks) x t_item(threads) + programming, ranks = nodes x
    // ranks_per_node; t_item from the per-core costs over `cores_per_rank` threads at the
    // efficiency measured above (2 ranks x 1 thread against 1 x 2).
    const double thread_efficiency = std::min(1.0, two_by_one / one_by_two);
    const int cores_per_node = 32;
    std::printf(
        "\nexpected wall time (nodes of %d cores like this host's; one rank per core when "
        "there are enough items, else fewer ranks with more threads at %.0f%% thread "
        "efficiency):\n",
        cores_per_node, 100 * thread_efficiency);
    struct Case {
      const char* name;
      int realisations, times, compensations;
      double item_s, adabs_s;
    };
    const double adabs34 = 1300 * per_image34;  // AdaBS on 1,300 ImageNet training images
    const Case cases[] = {
        {"CIFAR-10 ResNet-32, 100 realisations x 5 times x 3 comp.", 100, 5, 3, 1e4 * per_image32,
         t_adabs},
        {"ImageNet ResNet-34, 50,000 images, 10 x 5 x 3", 10, 5, 3, 5e4 * per_image34, adabs34},
    };
    for (const Case& c : cases) {
      const double n_items = c.realisations * c.times * c.compensations;
      const double work_s = n_items * c.item_s + c.realisations * c.times * c.adabs_s;
      std::printf("  %s: %.0f items, %s of one core\n", c.name, n_items, hms(work_s).c_str());
      for (int nodes : {1, 16, 64}) {
        const double cores = nodes * cores_per_node;
        const double ranks = std::min(cores, n_items);
        const double threads_per_rank = cores / ranks;
        const double speed = 1 + (threads_per_rank - 1) * thread_efficiency;
        const double rounds = std::ceil(n_items / ranks);
        const double t = rounds * (work_s / n_items) / speed + t_program;
        std::printf("    %2d node(s): %6.0f ranks x %4.1f threads  %s\n", nodes, ranks,
                    threads_per_rank, hms(t).c_str());
      }
    }
    return 0;
  });
}
