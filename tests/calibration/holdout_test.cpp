// calibrate with held-out reads (CalibrationOptions::holdout_from_s, `--holdout-times`): the model
// is fitted on the early reads only and its prediction of the later ones is checked.
#include <doctest/doctest.h>

#include <cmath>

#include "calibration_test_support.h"
#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/calibration/model_export.h"
#include "pcmkit/core/error.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/measurement/detail/read_time_split.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

measurement::Campaign small_campaign(std::uint64_t seed) {
  return measurement::synthesize_campaign(device::PcmModel::published(), test::small_chip(seed));
}

TEST_CASE("a campaign split at a time keeps the reads on each side and the traces early") {
  measurement::VirtualChipOptions o;
  o.g_target_uS = {5, 10};
  o.devices_per_level = 10;
  o.times_s = {25, 100, 400, 1600, 6400};
  o.traces_per_level = 2;
  o.trace_reads = 64;
  const measurement::Campaign c =
      measurement::synthesize_campaign(device::PcmModel::published(), o);
  const measurement::ReadTimeSplit split = measurement::split_reads_at(c, 1000);
  REQUIRE(split.before.num_times() == 3);
  REQUIRE(split.after.num_times() == 2);
  CHECK(split.after.time_s(0, 0) == 1600);
  CHECK(split.before.g_uS(7, 2) == c.g_uS(7, 2));
  CHECK(split.after.g_uS(7, 1) == c.g_uS(7, 4));
  CHECK(split.before.noise.has_value());
  CHECK_FALSE(split.after.noise.has_value());
  split.before.validate("before");
  split.after.validate("after");
  CHECK_THROWS_AS(measurement::split_reads_at(c, 200), InputError);   // 2 reads before
  CHECK_THROWS_AS(measurement::split_reads_at(c, 7000), InputError);  // nothing after
}

TEST_CASE("per-device read times are split read by read") {
  measurement::Campaign c = small_campaign(1);
  measurement::RowMatrixXd times(c.num_devices(), c.num_times());
  for (Eigen::Index i = 0; i < c.num_devices(); ++i)
    times.row(i) = c.time_s.row(0) * (i % 2 ? 1.1 : 0.9);  // straddle 1600 s
  c.time_s = times;
  const measurement::ReadTimeSplit split = measurement::split_reads_at(c, 1600);
  // Column 3 (1440 or 1760 s) is on both sides, with the other side's reads missing.
  REQUIRE(split.before.num_times() == 4);
  REQUIRE(split.after.num_times() == 5);
  CHECK(split.before.g_uS(0, 3) == c.g_uS(0, 3));
  CHECK(std::isnan(split.before.g_uS(1, 3)));
  CHECK(std::isnan(split.after.g_uS(0, 0)));
  CHECK(split.after.g_uS(1, 0) == c.g_uS(1, 3));
}

TEST_CASE("a model fitted on early reads predicts the later ones of its own campaigns") {
  int flagged = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CalibrationOptions options;
    options.holdout_from_s = 3000;
    const CalibrationResult r = calibrate(small_campaign(seed), options);
    REQUIRE(r.holdout.has_value());
    CHECK(r.num_times == 4);  // the fit saw 25 to 1600 s
    CHECK(r.t_max_s < 3000);
    // The 4 later times at every level whose fit the check can perturb (the zero level's
    // censored fit may need more than 4 reads: then it is not checked, and the verdict says so).
    CHECK(r.holdout->cells.size() >= 4 * 4);
    flagged += !r.holdout->describes;
    if (r.holdout->describes)
      CHECK(prediction_verdict(*r.holdout).rfind("predicts the held-out reads", 0) == 0);
  }
  CHECK(flagged <= 1);  // 5% each
}

TEST_CASE("drift that speeds up after the fitted reads is caught by the held-out check") {
  // From 3000 s on every device drifts with an extra exponent of 0.03: the early reads cannot
  // show it, the later ones must.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    measurement::Campaign c = small_campaign(seed);
    for (Eigen::Index j = 0; j < c.num_times(); ++j)
      if (c.time_s(0, j) > 3000) c.g_uS.col(j) *= std::pow(c.time_s(0, j) / 3000, -0.03);
    CalibrationOptions options;
    options.holdout_from_s = 3000;
    const CalibrationResult r = calibrate(c, options);
    REQUIRE(r.holdout.has_value());
    CHECK_FALSE(r.holdout->describes);
    CHECK(prediction_verdict(*r.holdout).rfind("does not predict the held-out reads at", 0) == 0);
    const std::string json = calibration_json(r, {});
    CHECK(json.find("\"holdout\"") != std::string::npos);
    CHECK(json.find("\"fitted_before_s\": 3000") != std::string::npos);
    // The model file is still a model file: evaluate and `model show` read it back.
    const device::ModelFile back = device::parse_model_json(json, "holdout.json");
    CHECK(back.model.g_max_uS == r.model.g_max_uS);
  }
}

TEST_CASE("a holdout time that leaves too few reads to fit is an input error") {
  CalibrationOptions options;
  options.holdout_from_s = 200;  // 25 and 100 s before it
  CHECK_THROWS_WITH_AS(calibrate(small_campaign(1), options), doctest::Contains("holdout_from_s"),
                       InputError);
  options.holdout_from_s = -1;
  CHECK_THROWS_AS(options.validate(), InputError);
}

}  // namespace
}  // namespace pcmkit::calibration
