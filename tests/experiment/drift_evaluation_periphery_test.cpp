// Accuracy with the crossbar periphery (DAC, ADC, tiles) on the shared ResNet-32 and 500 CIFAR-10
// test images (skipped when ../shared is absent). Known answers: 24-bit converters are the fp32
// network; 8-bit converters with aihwkit's default range cost a few points at most (Rasch et al.
// 2023 report < 1% for 8-bit DAC/ADC on hardware-aware-trained ResNets; this network is not).
#include <doctest/doctest.h>

#include <filesystem>

#include "pcmkit/core/error.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

const fs::path kShared = PCMKIT_SHARED_DIR;

struct Resnet32 {
  nn::Network network = nn::make_resnet("resnet32");
  std::unique_ptr<data::CifarBinaryReader> test;
  bool available = false;
  Resnet32() {
    const fs::path weights = kShared / "weights/resnet32-d509ac18.h5";
    const fs::path images = kShared / "cifar10/test_batch.bin";
    if (!fs::exists(weights) || !fs::exists(images)) return;
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(weights, network);
    test = std::make_unique<data::CifarBinaryReader>(std::vector<fs::path>{images},
                                                     info.normalization);
    available = true;
  }
};

experiment::DriftEvaluationOptions ideal_options(int dac_bits, int adc_bits, nn::Index tile) {
  experiment::DriftEvaluationOptions o;
  o.ideal_device = true;
  o.times_s = {25.0};
  o.repeats = 1;
  o.compensations = {experiment::Compensation::kNone};
  o.max_test_images = 500;
  o.periphery.dac_bits = dac_bits;
  o.periphery.adc_bits = adc_bits;
  o.periphery.tile_rows = tile;
  o.periphery.tile_cols = tile;
  return o;
}

}  // namespace

TEST_CASE("ideal device with the periphery: 24 bits is fp32, 8 bits within a few points") {
  Resnet32 f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  const device::PcmModel model = device::PcmModel::published();
  const auto exact =
      experiment::evaluate_drift(f.network, model, *f.test, nullptr, ideal_options(24, 24, 256));
  // 500 images: one image is 0.2%; a logit tie broken differently may flip one.
  CHECK(std::abs(exact.points[0].mean - exact.fp32_accuracy_percent) <= 0.2);
  const auto eight =
      experiment::evaluate_drift(f.network, model, *f.test, nullptr, ideal_options(8, 8, 256));
  MESSAGE("fp32 " << eight.fp32_accuracy_percent << "%, 8/8-bit 256x256 tiles "
                  << eight.points[0].mean << "%");
  CHECK(eight.points[0].mean >= eight.fp32_accuracy_percent - 3.0);
  // The network is restored: a plain evaluation afterwards is fp32 again.
  CHECK(experiment::evaluate_accuracy(f.network, *f.test, 200, 500) == eight.fp32_accuracy_percent);
}

TEST_CASE("periphery options are validated with the evaluation's") {
  experiment::DriftEvaluationOptions o;
  o.periphery.adc_bits = 1;
  try {
    o.validate(device::PcmModel::published());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "adc_bits");
  }
}
