// Accuracy against time on PCM, on the shared ResNet-20 and 500 CIFAR-10 test images (skipped
// when ../shared is absent). Known answers come from the physics, not from this code: an ideal
// device is the fp32 network; drift with one ν for every device is undone exactly by GDC.
#include "pcmkit/experiment/drift_evaluation.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>

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
  for (const auto& p : r.points) {
    REQUIRE(p.accuracy_percent.size() == 1);  // evaluated once per compensation, not per repeat
    CHECK(p.accuracy_percent[0] == r.fp32_accuracy_percent);
  }
  CHECK(r.num_adabs_images == 0);                      // no AdaBS asked for
  CHECK(experiment::evaluation_items(o).size() == 3);  // fp32 + one per compensation
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
  // This ResNet-20 was not trained for PCM: a few points lost (85.7 against 91.0 for seed 1).
  CHECK(r1.points[5].mean > r1.fp32_accuracy_percent - 8);
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
    CHECK(e.field() == "times_s");
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
  CHECK(field_of(unsorted) == "times_s: not increasing: 25 s after 3600 s");
  experiment::DriftEvaluationOptions twice;
  twice.compensations = {experiment::Compensation::kGdc, experiment::Compensation::kGdc};
  CHECK(field_of(twice) == "compensations: gdc given twice");
  CHECK(field_of(experiment::DriftEvaluationOptions{}) == "no error");
}

namespace {

// Runs the pending items in reverse order: results may not depend on who computes what when.
class ReverseRunner final : public parallel::ItemRunner {
 public:
  bool run(const std::vector<std::int64_t>& pending,
           const parallel::ItemCompute& compute,
           const parallel::ItemFinished& finished) override {
    for (auto i = pending.rbegin(); i != pending.rend(); ++i) finished(*i, compute(*i));
    ran = pending.size();
    return true;
  }
  std::size_t ran = 0;
};

}  // namespace

TEST_CASE("an item's accuracy does not depend on the other times of the run") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  experiment::DriftEvaluationOptions both = small_options(), one_day = small_options();
  both.times_s = {25.0, 3600.0, 86400.0};
  one_day.times_s = {86400.0};
  both.max_test_images = one_day.max_test_images = 300;
  const device::PcmModel m = device::PcmModel::published();
  const auto a = experiment::evaluate_drift(f.network, m, *f.test, f.calibration.get(), both);
  const auto b = experiment::evaluate_drift(f.network, m, *f.test, f.calibration.get(), one_day);
  REQUIRE(a.points.size() == 9);
  REQUIRE(b.points.size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(a.points[6 + c].t_s == 86400.0);
    CHECK(a.points[6 + c].accuracy_percent == b.points[c].accuracy_percent);
  }
}

TEST_CASE("a sweep computed in another order or resumed from half its items is the same sweep") {
  Fixture f;
  if (!f.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  experiment::DriftEvaluationOptions o = small_options();
  o.max_test_images = 200;
  const device::PcmModel m = device::PcmModel::published();
  std::map<std::int64_t, double> seen;
  experiment::DriftSweepControl record;
  record.on_finished = [&](std::int64_t i, double a) { seen[i] = a; };
  const auto whole =
      *experiment::run_drift_sweep(f.network, m, *f.test, f.calibration.get(), o, {}, record);
  const std::size_t n = experiment::evaluation_items(o).size();
  REQUIRE(seen.size() == n);  // 1 + 2 repeats × 2 times × 3 compensations

  ReverseRunner reverse;
  experiment::DriftSweepControl resumed;
  resumed.runner = &reverse;
  for (const auto& [i, a] : seen)
    if (i % 2 == 0) resumed.finished[i] = a;  // the journal of a sweep stopped half-way
  std::size_t computed = 0;
  resumed.on_finished = [&](std::int64_t, double) { ++computed; };
  const auto rest =
      *experiment::run_drift_sweep(f.network, m, *f.test, f.calibration.get(), o, {}, resumed);
  CHECK(computed == n / 2);  // no item computed twice
  CHECK(reverse.ran == n / 2);
  CHECK(rest.fp32_accuracy_percent == whole.fp32_accuracy_percent);
  for (std::size_t k = 0; k < whole.points.size(); ++k)
    CHECK(rest.points[k].accuracy_percent == whole.points[k].accuracy_percent);
}
