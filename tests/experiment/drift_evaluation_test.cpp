// Accuracy against time on PCM, on the shared ResNet-20 and 500 CIFAR-10 test images (skipped
// when ../shared is absent). Known answers come from the physics, not from this code: an ideal
// device is the fp32 network; drift with one ν for every device is undone exactly by GDC.
#include "pcmkit/experiment/drift_evaluation.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_calibration_set.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

const fs::path kShared = PCMKIT_SHARED_DIR;

struct Fixture {
  nn::Network network = nn::make_resnet("resnet20");
  nn::WeightsFileInfo info;
  std::unique_ptr<data::CifarBinaryReader> test, calibration;
  bool available = false;
  Fixture() {
    const fs::path weights = kShared / "weights/resnet20-12fca82f.h5";
    const fs::path images = kShared / "cifar10/test_batch.bin";
    if (!fs::exists(weights) || !fs::exists(images)) return;
    info = nn::load_weights_hdf5(weights, network);
    test = std::make_unique<data::CifarBinaryReader>(std::vector<fs::path>{images},
                                                     info.normalization);
    // The shared folder has no training split: AdaBS calibrates on test images here.
    calibration = std::make_unique<data::CifarBinaryReader>(std::vector<fs::path>{images},
                                                            info.normalization);
    available = true;
  }
};

experiment::DriftEvaluationOptions small_options() {
  experiment::DriftEvaluationOptions o;
  o.times_s = {25.0, 86400.0};
  o.repeats = 2;
  o.max_test_images = 500;
  o.adabs_images = 400;
  return o;
}

}  // namespace

TEST_CASE("ideal device: every point is the fp32 accuracy") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  experiment::DriftEvaluationOptions o = small_options();
  o.ideal_device = true;
  o.compensations = {experiment::Compensation::kNone, experiment::Compensation::kGdc};
  const auto r =
      experiment::evaluate_drift(f.network, device::PcmModel::published(), *f.test, nullptr, o);
  for (const auto& p : r.points)
    for (double a : p.accuracy_percent) CHECK(a == r.fp32_accuracy_percent);
  CHECK(r.num_adabs_images == 0);  // no AdaBS asked for
}

TEST_CASE("uniform drift without noise: GDC restores fp32, no compensation does not") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  device::PcmModel m = device::PcmModel::published();
  m.programming_noise = {0, 0, 0};
  m.drift_exponent = {0.06, 0, 0.06, 0.06, 0, 0, 0, 0};  // ν = 0.06 for every device
  m.read_noise.q0 = 0;
  m.read_noise.q_max = 0;
  experiment::DriftEvaluationOptions o = small_options();
  o.repeats = 1;
  o.compensations = {experiment::Compensation::kNone, experiment::Compensation::kGdc};
  const auto r = experiment::evaluate_drift(f.network, m, *f.test, nullptr, o);
  // 500 images: one image is 0.2%; float rounding of α·W may flip at most a couple.
  CHECK(std::abs(r.points[3].mean - r.fp32_accuracy_percent) <= 0.4);  // 1 day, gdc
  CHECK(r.points[2].mean < r.fp32_accuracy_percent - 20);              // 1 day, none
}

TEST_CASE("published model: compensation helps at one day — results depend on the seed only") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  const experiment::DriftEvaluationOptions o = small_options();
  const int before = num_threads();
  set_num_threads(1);
  const auto r1 = experiment::evaluate_drift(f.network, device::PcmModel::published(), *f.test,
                                             f.calibration.get(), o);
  set_num_threads(2);
  const auto r2 = experiment::evaluate_drift(f.network, device::PcmModel::published(), *f.test,
                                             f.calibration.get(), o);
  set_num_threads(before);
  REQUIRE(r1.points.size() == 6);
  for (std::size_t k = 0; k < r1.points.size(); ++k)
    CHECK(r1.points[k].accuracy_percent == r2.points[k].accuracy_percent);
  // At one day: none collapses (BatchNorm sees drifted activations), GDC and AdaBS recover.
  CHECK(r1.points[4].mean > r1.points[3].mean + 30);
  CHECK(r1.points[5].mean > r1.points[3].mean + 30);
  CHECK(r1.points[5].mean > r1.fp32_accuracy_percent - 5);
  CHECK(r1.num_test_images == 500);
  CHECK(r1.num_adabs_images == 400);  // as asked: the calibration set holds 10,000
}

TEST_CASE(
    "AdaBS on augmented images keeps an exact network's accuracy, on plain images it does not") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  // Exact weights: AdaBS changes nothing but the BatchNorm statistics. The shared folder has no
  // training split, so the first 2,600 test images calibrate (the effect is the same; the
  // README gives the training-image figures).
  experiment::DriftEvaluationOptions o;
  o.times_s = {25.0};
  o.repeats = 1;
  o.ideal_device = true;
  o.compensations = {experiment::Compensation::kAdaBs};
  o.max_test_images = 2000;
  o.adabs_images = 2600;
  const fs::path images = kShared / "cifar10/test_batch.bin";
  const auto accuracy_with = [&](bool augmented) {
    data::CifarAugmentation augmentation;
    augmentation.enabled = augmented;
    data::CifarCalibrationSet calibration({images}, f.info.normalization, augmentation, 1);
    const auto r = experiment::evaluate_drift(f.network, device::PcmModel::published(), *f.test,
                                              &calibration, o);
    return std::pair{r.fp32_accuracy_percent, r.points.at(0).mean};
  };
  const auto [fp32, augmented] = accuracy_with(true);
  const double plain = accuracy_with(false).second;
  // Measured: fp32 91.50, augmented 91.50, plain 88.15. Paired on the same 2,000 images, a
  // difference of 1 point is about 2 standard errors of chance.
  CHECK(augmented > fp32 - 1.0);
  CHECK(plain < augmented - 1.5);
}

TEST_CASE("bad options name the option") {
  experiment::DriftEvaluationOptions o;
  o.times_s = {10.0};
  try {
    o.validate(device::PcmModel::published());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "--times");
  }
  CHECK_THROWS_AS(experiment::parse_compensation("gcd", "--compensation"), InputError);
  const auto field_of = [](const experiment::DriftEvaluationOptions& bad) {
    try {
      bad.validate(device::PcmModel::published());
    } catch (const InputError& e) {
      return e.field() + ": " + e.problem();
    }
    return std::string("no error");
  };
  experiment::DriftEvaluationOptions unsorted;
  unsorted.times_s = {3600.0, 25.0};
  CHECK(field_of(unsorted) == "--times: not increasing: 25 s after 3600 s");
  experiment::DriftEvaluationOptions twice;
  twice.compensations = {experiment::Compensation::kGdc, experiment::Compensation::kGdc};
  CHECK(field_of(twice) == "--compensation: gdc given twice");
  CHECK(field_of(experiment::DriftEvaluationOptions{}) == "no error");
}
