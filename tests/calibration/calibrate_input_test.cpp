// calibrate() refuses campaigns that are valid files but hold nothing to fit, naming the dataset,
// instead of writing a model fitted to nothing.
#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/core/error.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

measurement::Campaign small_campaign(std::vector<double> times_s) {
  measurement::VirtualChipOptions chip;
  chip.g_target_uS = {0.0, 10.0, 20.0};
  chip.devices_per_level = 50;
  chip.times_s = std::move(times_s);
  chip.traces_per_level = 0;
  chip.seed = 3;
  return measurement::synthesize_campaign(device::PcmModel::published(), chip);
}

// The InputError's field and problem, or "" when calibrate does not throw one.
std::string refusal(const measurement::Campaign& c) {
  try {
    calibrate(c, CalibrationOptions{});
  } catch (const InputError& e) {
    return e.field() + ": " + e.problem();
  }
  return "";
}

TEST_CASE("calibrate refuses one read time, all-NaN reads and all-zero reads") {
  // synth refuses one read time: the second time's column is dropped here.
  measurement::Campaign one_time = small_campaign({25.0, 100.0});
  one_time.time_s.conservativeResize(Eigen::NoChange, 1);
  one_time.g_uS.conservativeResize(Eigen::NoChange, 1);
  CHECK(refusal(one_time).find("/reads/time_s: one read time") == 0);

  measurement::Campaign all_nan = small_campaign({25.0, 100.0, 1000.0});
  all_nan.g_uS.setConstant(std::numeric_limits<double>::quiet_NaN());
  CHECK(refusal(all_nan).find("/reads/g_uS: no read") == 0);

  measurement::Campaign all_zero = small_campaign({25.0, 100.0, 1000.0});
  all_zero.g_uS.setZero();
  CHECK(refusal(all_zero).find("/reads/g_uS: every read is 0") == 0);

  // The same campaign with its reads intact is fitted (the refusals are not a blanket "no").
  CHECK(refusal(small_campaign({25.0, 100.0, 1000.0})).empty());
}

}  // namespace
}  // namespace pcmkit::calibration
