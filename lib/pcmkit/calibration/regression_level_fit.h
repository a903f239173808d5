// Device statistics of an uncensored level from per-device drift regressions
// (drift_regression.h). With Ĝ_prog,i, ν̂_i and their estimation variances V_i:
//   σ_prog² = mean((Ĝ_prog,i − G_T)² − V_G,i)            (programming noise, deconvolved)
//   E ν = mean(ν̂_i),  E ν² = mean(ν̂_i² − V_ν,i)  →  (μ_ν, σ_ν) of the folded normal
//   Q_s: given (from traces), or the Q that makes mean(weighted RSS_i/(T_i − 2)) = 1.
// Standard errors: delta method over the sample covariance of the per-device terms.
// Outliers: devices more than `reject_sigma` robust standard deviations (1.4826·MAD) from the
// level median in Ĝ_prog or ν̂, or whose linear-domain residual χ² (drift_regression.h) is
// beyond its 1 − 1e-9 quantile, are rejected.
#pragma once

#include <optional>

#include "pcmkit/calibration/drift_residual_noise.h"
#include "pcmkit/calibration/level_fit.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

struct RegressionLevelOptions {
  double reject_sigma = 6.0;  // robust outlier threshold, > 3
  int min_devices = 20;       // fewer usable devices: nothing identified
};

// Fits one level. noise_model supplies t0_s, t_read_s, read_noise.gamma and, when q_s_known
// is empty, the starting Q_s. Threads: OpenMP over devices; bit-identical for any thread count.
// Cost: O(3·N·T). When `residuals` is given and the read times are shared, it receives the kept
// devices' drift residuals under the final weights (drift_residual_noise.h), O(N·T²).
LevelFit fit_level_by_regression(const measurement::Campaign& campaign,
                                 const Level& level,
                                 const device::PcmModel& noise_model,
                                 const std::optional<Estimate>& q_s_known,
                                 const RegressionLevelOptions& options = {},
                                 DriftResiduals* residuals = nullptr);

}  // namespace pcmkit::calibration
