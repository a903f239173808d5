// Per-device drift fits. For a device read at times t_j with relative read noise s_j = σ_r(t_j)
// (pcm_model.h), ln G(t_j) = ln G_prog − ν·ln(t_j/t0) + ln(1 + s_j·ξ_j). The noise term has
//   mean  b(s) = E ln(1 + sξ) ≈ −s²/2 − 3s⁴/4 − 5s⁶/2
//   var   v(s) = Var ln(1 + sξ) ≈ s² + 5s⁴/2 + 32s⁶/3
// (moment series of ln(1 + X), X ~ N(0, s²); accurate to < 1e-4 relative for s ≤ 0.3).
// Subtracting b(s_j) and weighting by 1/v(s_j) makes weighted least squares unbiased for
// (ln G_prog, ν) to O(s⁸), with the textbook covariance. Valid while reads stay well above zero
// (s ≤ about 0.3); censored levels use censored_level_fit.h instead.
#pragma once

#include <Eigen/Core>

namespace pcmkit::calibration {

// b(s) and v(s) above. Requires: 0 ≤ s ≤ 0.5.
double log_read_bias(double s);
double log_read_variance(double s);

struct DriftRegression {
  int num_reads = 0;          // reads used (finite and > 0)
  double log_g_prog = 0.0;    // estimate of ln G_prog (G_prog at t0, in µS)
  double drift_exponent = 0;  // estimate of ν
  double var_log_g_prog = 0;  // its variance
  double var_drift_exponent = 0;
  double weighted_rss = 0;  // Σ (residual²/v_j); expectation num_reads − 2
  // Σ ((G_j/Ĝ_d(t_j) − 1)/s_j)²: the residuals in the linear domain, where read noise is
  // Gaussian, so that this follows χ² with num_reads − 2 degrees of freedom closely even where
  // ln(1 + sξ) has a heavy left tail (s ≈ 0.2); used to reject erratic devices.
  double linear_chi2 = 0;
  bool ok = false;  // false when fewer than 3 usable reads
};

// Weighted least-squares drift fit of one device.
// log_t_rel: ln(t_j/t0); g_uS: reads (NaN or ≤ 0 are skipped); s: σ_r(t_j) per read.
// Requires: equal sizes. Cost: O(T).
DriftRegression fit_device_drift(const Eigen::Ref<const Eigen::ArrayXd>& log_t_rel,
                                 const Eigen::Ref<const Eigen::ArrayXd>& g_uS,
                                 const Eigen::Ref<const Eigen::ArrayXd>& s);

}  // namespace pcmkit::calibration
