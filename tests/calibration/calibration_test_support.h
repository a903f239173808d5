// Shared helpers of the calibration tests: the recovery rule of issue #2, and small campaigns.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::test {

// A fitted coefficient recovers the truth when it lies within max(3 standard errors, 2%
// relative) of it (issue #2, "What it must show").
inline bool recovered(const calibration::CoefficientFit& c, double truth) {
  const double tolerance = std::max(3 * c.estimate.std_error, 0.02 * std::abs(truth));
  return std::abs(c.estimate.value - truth) <= tolerance;
}

inline double truth_of(const device::PcmModel& model, const std::string& name) {
  for (const auto& [n, v] : device::coefficient_values(model))
    if (n == name) return v;
  return NAN;
}

// Two models unlike the published one (as in benchmarks/calibration_coverage.cpp).
inline device::PcmModel model_a() {  // G_max 30 µS, γ 1.15
  device::PcmModel m = device::PcmModel::published();
  m.g_max_uS = 30.0;
  m.programming_noise = {0.30, 1.5, -0.8};
  m.drift_exponent = {0.03, -0.012, 0.04, 0.12, -0.004, -0.010, 0.010, 0.050};
  m.read_noise = {0.010, 0.5, 0.25, 1.15};
  return m;
}

inline device::PcmModel model_b() {  // G_max 20 µS, γ 0.9
  device::PcmModel m = device::PcmModel::published();
  m.g_max_uS = 20.0;
  m.programming_noise = {0.20, 2.5, -1.5};
  m.drift_exponent = {0.02, -0.02, 0.06, 0.09, -0.008, -0.014, 0.006, 0.040};
  m.read_noise = {0.007, 0.8, 0.15, 0.9};
  return m;
}

// 5 levels × 300 devices × 8 reads from 25 s to one day, no traces, all converged: small, quick.
inline measurement::VirtualChipOptions small_chip(std::uint64_t seed) {
  measurement::VirtualChipOptions o;
  o.g_target_uS = {0, 5, 10, 15, 25};
  o.devices_per_level = 300;
  o.times_s = {25, 100, 400, 1600, 6400, 25600, 51200, 86400};
  o.traces_per_level = 0;
  o.non_converged_fraction = 0.0;
  o.seed = seed;
  return o;
}

}  // namespace pcmkit::test
