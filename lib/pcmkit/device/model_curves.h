// The curves a model implies over its conductance range, as a table for people to read.
#pragma once

#include <string>

#include "pcmkit/device/pcm_model.h"

namespace pcmkit::device {

// One row per target G_T in 0, 0.1·G_max, …, G_max: σ_prog, μ_ν, σ_ν, Q_s, the relative read
// noise σ_r at 25 s and at 1 day, and the median drift factor (t/t0)^(−μ_ν) at 1 day.
std::string model_curve_table(const PcmModel& model);

}  // namespace pcmkit::device
