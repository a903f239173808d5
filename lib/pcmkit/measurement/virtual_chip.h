// A virtual test chip: draws a measurement campaign from a PcmModel, shaped like the paper's
// characterisation (Joshi et al. 2020, Methods): devices programmed to a few target levels, read
// at log-spaced times after programming, a few repeated-read traces per level, and a small
// fraction of devices whose programming did not converge (flagged, and far off target).
#pragma once

#include <cstdint>
#include <vector>

#include "pcmkit/core/progress.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::measurement {

struct VirtualChipOptions {
  // Target levels G_T in µS, each in [0, g_max_uS]. Empty = 11 levels from 0 to G_max.
  std::vector<double> g_target_uS;
  Eigen::Index devices_per_level = 10000;  // ≥ 1
  // Read times in s, increasing, each ≥ model t0. Empty = 20 log-spaced from 25 s to 1 day.
  std::vector<double> times_s;
  // Fraction of devices whose programming did not converge, in [0, 0.5). They are flagged in
  // /devices/converged and end at G_T ± u·G_max, u uniform in [0.3, 0.6], inside [0, G_max].
  double non_converged_fraction = 0.009;
  Eigen::Index traces_per_level = 200;  // ≥ 0; taken from the first converged devices of a level
  Eigen::Index trace_reads = 1024;      // R ≥ 2
  double trace_dt_s = 0.1;              // > 0
  double trace_t_start_s = 1000.0;      // ≥ model t0
  std::uint64_t seed = 1;

  // Errors: InputError{"", field, problem} naming the offending field ("devices_per_level").
  void validate(const device::PcmModel& model) const;
};

// Draws a campaign. Devices are stored level by level; device i uses random item i.
// Random: every stream of `seed` (see core/random_stream.h). Threads: OpenMP; the campaign is
// bit-identical for any thread count. Cost: O(N·T + traces·R·log R).
Campaign synthesize_campaign(const device::PcmModel& model,
                             const VirtualChipOptions& options,
                             const ProgressCallback& progress = {});

}  // namespace pcmkit::measurement
