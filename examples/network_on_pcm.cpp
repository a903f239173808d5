// Example: a CIFAR-10 network mapped onto differential PCM pairs, with the three parts of an
// analog-inference simulation kept apart so that any one can be swapped:
//   the device model      device::PcmModel (here the published one; or a fitted model.json),
//   the mapping           analog::ProgrammedNetwork (W → G+, G− targets → devices → W(t)),
//   drift compensation    analog::DriftCompensation (GDC), applied per layer in digital.
// The network is programmed once (one realisation), read at one day, and the test accuracy is
// printed for the fp32 network and at one day without and with GDC. `pcmkit evaluate` does this
// over many realisations, times and AdaBS (experiment/drift_evaluation.h).
// Usage: example_network_on_pcm WEIGHTS.h5 ARCH [CIFAR10_DIR] [IMAGES]
//   e.g. example_network_on_pcm ../shared/weights/resnet32-d509ac18.h5 resnet32
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "pcmkit/analog/programmed_network.h"
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
  analog::ProgrammedNetwork programmed(network, &model, analog::AnalogMapping{}, /*seed=*/1);
  programmed.read(/*t_s=*/86400.0);  // every device read once, one day after programming
  programmed.load(analog::DriftCompensation::kNone);  // forward() now computes with W(t)
  std::printf("%-26s %6.2f%%\n", "one day, no compensation:", accuracy());
  programmed.load(analog::DriftCompensation::kGlobal);  // α(t)·W(t), α per layer
  std::printf("%-26s %6.2f%%\n", "one day, GDC:", accuracy());
  programmed.unload();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_network_on_pcm: error: %s\n", e.what());
  return 1;
}
