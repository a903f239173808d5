// Two device models unlike the published one, for the calibration benchmarks (issue #15): other
// G_max and γ, other curves. (tests/calibration/calibration_test_support.h has the same two.)
#pragma once

#include "pcmkit/device/pcm_model.h"

namespace pcmkit::bench {

inline device::PcmModel model_a() {
  device::PcmModel m = device::PcmModel::published();
  m.description = "A: G_max 30 uS, gamma 1.15";
  m.g_max_uS = 30.0;
  m.programming_noise = {0.30, 1.5, -0.8};
  m.drift_exponent = {0.03, -0.012, 0.04, 0.12, -0.004, -0.010, 0.010, 0.050};
  m.read_noise = {0.010, 0.5, 0.25, 1.15};
  return m;
}

inline device::PcmModel model_b() {
  device::PcmModel m = device::PcmModel::published();
  m.description = "B: G_max 20 uS, gamma 0.9";
  m.g_max_uS = 20.0;
  m.programming_noise = {0.20, 2.5, -1.5};
  m.drift_exponent = {0.02, -0.02, 0.06, 0.09, -0.008, -0.014, 0.006, 0.040};
  m.read_noise = {0.007, 0.8, 0.15, 0.9};
  return m;
}

}  // namespace pcmkit::bench
