// Device statistics of a level whose reads are censored at zero (G_T = 0, or so low that reads
// hit 0): per-device regressions in ln G are impossible there, so the level is fitted by the
// method of moments on the population of reads.
// With G_prog = max(0, G_T + σ_p·ξ), ν folded normal (μ, σ) and s_j = Q·sqrt(band(t_j)):
//   E g_j      = E[G_prog]·M(L_j)·m1(s_j)
//   E g_j²     = E[G_prog²]·M(2L_j)·m2(s_j)
//   E g_j g_k  = E[G_prog²]·M(L_j + L_k)·m1(s_j)·m1(s_k)             (j ≠ k)
//   P(g_j = 0) = P0 + (1 − P0)·Φ(−1/s_j)                              (a read of 1 + sξ ≤ 0)
// where L_j = ln(t_j/t0), M(L) = E e^(−Lν) (folded_normal.h), m1(s) = E max(0, 1 + sξ) =
// Φ(1/s) + sφ(1/s), m2(s) = E max(0, 1 + sξ)² = (1 + s²)Φ(1/s) + sφ(1/s), and the truncated
// normal moments E[G_prog] = G_TΦ(a) + σ_pφ(a), E[G_prog²] = (G_T² + σ_p²)Φ(a) + G_Tσ_pφ(a),
// P0 = Φ(−a), a = G_T/σ_p. Moments used: every E g_j, E g_j g_k (j ≤ k) over 6 times spread over
// the range, and P(g_j = 0) at times where at least 20 devices with a read above 0 read 0 (bounded
// moments that pin Q_s down where products of reads are heavy-tailed). Each moment is weighted by
// its own standard deviation; errors by the sandwich with the moments' full covariance, and the
// goodness of fit by the generalised J (gmm_sandwich.h). (The efficient two-step weight, the
// inverse of an estimated 50 × 50 covariance of heavy-tailed moments, left Q_s and σ_ν up to
// 7 standard errors off at 2,000 devices.) γ is held at noise_model's value.
#pragma once

#include "pcmkit/calibration/level_fit.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

struct CensoredLevelOptions {
  // Devices whose mean read exceeds median + k·1.4826·MAD (over devices with a read > 0) are
  // outliers (stuck devices); > 3.
  double reject_mad = 20.0;
  int min_devices = 200;  // fewer usable devices: nothing identified
};

// Fits one censored level. Uses only devices with every read present, and needs read times
// shared by all devices (otherwise returns a LevelFit with nothing identified and a note).
// noise_model gives t0, t_read, γ, and the starting values. Cost: O(N·T) + a 4-parameter solve.
LevelFit fit_censored_level(const measurement::Campaign& campaign,
                            const Level& level,
                            const device::PcmModel& noise_model,
                            const CensoredLevelOptions& options = {});

}  // namespace pcmkit::calibration
