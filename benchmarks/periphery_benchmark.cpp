// Cost of the crossbar periphery (analog/crossbar_periphery.h) on the CIFAR-10 ResNet-32 forward
// pass: the same images in batches of 200 with no unit set (the plain GEMM, the baseline of this
// run), then with tiles only, 8-bit DAC/ADC untiled, and 8-bit DAC/ADC on 256x256 tiles. Prints
// images/s of each and its ratio to the baseline (best of 3 passes each: the machine is shared).
// Usage: periphery_benchmark [weights.h5] [cifar10_dir] [images=1000] [threads=2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark_command_line.h"
#include "pcmkit/analog/crossbar_periphery.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

using namespace pcmkit;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kBatchSize = 200;
constexpr int kRepeats = 3;

struct Setting {
  const char* name;
  bool unit;
  analog::PeripheryOptions options;
};

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_in_heap();  // as pcmkit itself runs
  const char* home = std::getenv("HOME");
  std::string weights = "../shared/weights/resnet32-d509ac18.h5";
  std::string data = (fs::path(home ? home : ".") / ".cache/pcmkit/cifar10").string();
  std::int64_t images = 1000;
  int threads = 2;
  CLI::App app{"Cost of the crossbar periphery (tiles, DAC, ADC) in a ResNet-32 test pass",
               "periphery_benchmark"};
  app.add_option("weights", weights, "ResNet-32 weights (HDF5)")->capture_default_str();
  app.add_option("cifar10_dir", data, "CIFAR-10 binary folder")->capture_default_str();
  app.add_option("images", images, "test images")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000}));
  app.add_option("threads", threads)->check(CLI::Range(1, 1024));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    set_num_threads(threads);

    nn::Network network = nn::make_resnet("resnet32");
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(weights, network);
    data::CifarBinaryReader reader({data::cifar10_test_file(data)}, info.normalization);
    std::vector<nn::Tensor> batches;
    data::CifarBatch batch;
    for (std::int64_t seen = 0;
         seen < images && reader.next(std::min(kBatchSize, images - seen), batch);
         seen += batch.images.n())
      batches.push_back(batch.images);

    std::vector<Setting> settings(4);
    settings[0] = {"plain GEMM (baseline)", false, {}};
    settings[1] = {"tiles 256x256 only", true, {}};
    settings[1].options.tile_rows = settings[1].options.tile_cols = 256;
    settings[2] = {"8-bit DAC/ADC", true, {}};
    settings[2].options.dac_bits = settings[2].options.adc_bits = 8;
    settings[3] = settings[2];
    settings[3].name = "8-bit DAC/ADC, 256x256";
    settings[3].options.tile_rows = settings[3].options.tile_cols = 256;

    double baseline = 0;
    for (const Setting& s : settings) {
      for (const nn::AnalogLayerRef& l : network.analog_layers()) {
        const double w_max = l.layer->master_weight().cwiseAbs().maxCoeff();
        if (s.unit)
          l.layer->set_matrix_product(
              std::make_shared<analog::CrossbarPeriphery>(s.options, w_max));
        else
          l.layer->clear_matrix_product();
      }
      network.forward(batches.front());  // warm-up
      double best_s = 1e30;
      for (int r = 0; r < kRepeats; ++r) {
        const Clock::time_point start = Clock::now();
        for (const nn::Tensor& b : batches) network.forward(b);
        best_s = std::min(best_s, std::chrono::duration<double>(Clock::now() - start).count());
      }
      const double rate = static_cast<double>(images) / best_s;
      if (!s.unit) baseline = rate;
      std::printf("%-24s %8.1f images/s  %.2fx the plain GEMM\n", s.name, rate, rate / baseline);
    }
    return 0;
  });
}
