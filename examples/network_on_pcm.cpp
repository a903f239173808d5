// Example: a CIFAR-10 network mapped onto differential PCM pairs by hand, with the three parts of
// an analog-inference simulation kept apart so that any one can be swapped:
//   the device model      device::PcmModel (here the published one; or a fitted model.json),
//   the weight mapping    analog::ProgrammedWeights (W → G+, G− targets → devices → W(t)),
//   drift compensation    analog::global_drift_compensation (GDC), applied per layer.
// Every analog layer is programmed once, read at t0 (GDC's reference) and at one day; the test
// accuracy is printed for the fp32 network and at one day without and with GDC. `pcmkit evaluate`
// does this over many realisations, times and AdaBS (experiment/drift_evaluation.h).
// Usage: example_network_on_pcm WEIGHTS.h5 ARCH [CIFAR10_DIR] [IMAGES]
//   e.g. example_network_on_pcm ../shared/weights/resnet32-d509ac18.h5 resnet32
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "pcmkit/analog/programmed_weights.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

using namespace pcmkit;

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s WEIGHTS.h5 ARCH [CIFAR10_DIR] [IMAGES]\n", argv[0]);
    return 2;
  }
  nn::Network network = nn::make_resnet(argv[2]);
  const nn::WeightsFileInfo info = nn::load_weights_hdf5(argv[1], network);
  const std::filesystem::path cifar_dir = argc > 3 ? argv[3] : data::default_cifar10_dir();
  const std::int64_t images = argc > 4 ? std::stoll(argv[4]) : 1000;
  data::CifarBinaryReader test({data::cifar10_test_file(cifar_dir)}, info.normalization);
  const auto accuracy = [&] { return experiment::evaluate_accuracy(network, test, 200, images); };
  std::printf("%-26s %6.2f%%\n", "fp32:", accuracy());

  const device::PcmModel model = device::PcmModel::published();
  const double one_day_s = 86400.0;
  const std::uint64_t seed = 1;
  const std::vector<nn::AnalogLayerRef> layers = network.analog_layers();
  std::vector<Eigen::ArrayXf> w_ref, w_day;  // W(t0) and W(one day), per layer
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const nn::RowMatrixXf& w = layers[l].layer->master_weight();
    // Each layer draws its devices from its own range of random items.
    const analog::ProgrammedWeights programmed(
        model, Eigen::Map<const Eigen::ArrayXf>(w.data(), w.size()), seed, std::uint64_t{l} << 40);
    w_ref.push_back(programmed.read_weights(model.t0_s, /*read_index=*/0));
    w_day.push_back(programmed.read_weights(one_day_s, /*read_index=*/1));
  }
  for (const bool gdc : {false, true}) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      nn::AnalogLayer& layer = *layers[l].layer;
      const float alpha =
          gdc ? static_cast<float>(analog::global_drift_compensation(w_ref[l], w_day[l])) : 1.0f;
      const Eigen::Map<const nn::RowMatrixXf> read(w_day[l].data(), layer.master_weight().rows(),
                                                   layer.master_weight().cols());
      layer.set_effective_weight(read * alpha);  // forward() now computes with the PCM read-out
    }
    std::printf("%-26s %6.2f%%\n", gdc ? "one day, GDC:" : "one day, no compensation:", accuracy());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_network_on_pcm: error: %s\n", e.what());
  return 1;
}
