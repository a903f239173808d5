#include "pcmkit/calibration/censored_level_fit.h"

#include <doctest/doctest.h>

#include "pcmkit/measurement/virtual_chip.h"

using namespace pcmkit;
using namespace pcmkit::calibration;

TEST_CASE("the zero level is recovered from censored reads within 3 standard errors") {
  const device::PcmModel truth = device::PcmModel::published();
  measurement::VirtualChipOptions chip;
  chip.g_target_uS = {0.0};
  chip.devices_per_level = 20000;
  chip.traces_per_level = 0;
  chip.seed = 9;
  const measurement::Campaign c = measurement::synthesize_campaign(truth, chip);
  Level level;
  level.g_target_uS = 0;
  for (Eigen::Index i = 0; i < c.num_devices(); ++i)
    if (c.is_converged(i)) level.devices.push_back(i);
  const LevelFit f = fit_censored_level(c, level, truth);
  REQUIRE(f.sigma_prog_uS.identified);
  REQUIRE(f.mu_nu.identified);
  REQUIRE(f.sigma_nu.identified);
  REQUIRE(f.q_s.identified);
  auto near = [](const Estimate& e, double truth_value) {
    INFO(e.value << " ± " << e.std_error << " vs " << truth_value);
    CHECK(std::abs(e.value - truth_value) <= 3 * e.std_error);
  };
  near(f.sigma_prog_uS, truth.sigma_prog_uS(0));
  near(f.mu_nu, truth.mu_nu(0));
  near(f.sigma_nu, truth.sigma_nu(0));
  near(f.q_s, truth.q_s(0));
  // Stuck devices (flagged, so left out here) never enter; a campaign with times per device does.
  CHECK(f.num_used > 19000);
}

TEST_CASE("a level with too few devices is reported, not fitted") {
  measurement::VirtualChipOptions chip;
  chip.g_target_uS = {0.0};
  chip.devices_per_level = 50;
  chip.traces_per_level = 0;
  const measurement::Campaign c =
      measurement::synthesize_campaign(device::PcmModel::published(), chip);
  Level level;
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) level.devices.push_back(i);
  const LevelFit f = fit_censored_level(c, level, device::PcmModel::published());
  CHECK_FALSE(f.sigma_prog_uS.identified);
  CHECK_FALSE(f.note.empty());
}
