// Shared helpers of the calibration tests: the recovery rule of issue #2, and small campaigns.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/device/pcm_model.h"

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

}  // namespace pcmkit::test
