// Read noise without traces: γ and Q_s from how the reads scatter about their drift lines.
//
// A device's drift regression (drift_regression.h) leaves residuals r = A·(ln g − b(s_used)),
// with A = I − H the annihilator of its weighted fit (H = X(XᵀWX)⁻¹XᵀW, W = 1/v(s_used)). Under
// the model, ln g_j = ln G_prog − ν·ln(t_j/t0) + ln(1 + s_j·ξ_j) with s_j = Q_s·sqrt(band_γ(t_j)),
// so for every device
//   E r_j² = Σ_k A_jk²·v(s_k) + (A·(b(s) − b(s_used)))_j²
// (v, b: drift_regression.h). The band grows with t by an amount γ sets (by a factor 1.1 from 22 s
// to 2 days for γ = 0.9, 4 for γ = 1.15), so the mean squared residual at each read time, over a
// level's devices, identifies the level's Q_s and, jointly over levels, one γ.
//
// Estimator: method of moments over levels ℓ and times j, moments m_ℓj = mean_i r_ij², weighted
// by their sample variances (a diagonal weight: consistent without inverting an estimated
// covariance); standard errors by the sandwich with the full sample covariance of each level's
// moments (levels independent). Goodness of fit: the moments' residual against its asymptotic
// covariance, Hansen's J generalised to a non-optimal weight (a χ² with L·T − L − 1 dof).
// Sources: Hansen, Econometrica 50, 1029 (1982); Newey & McFadden, Handbook of Econometrics IV,
// ch. 36 (1994), §9.
// Needs read times shared by all devices and complete devices (every read > 0).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "pcmkit/calibration/level_fit.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

// One level's squared drift residuals, and how they were made.
struct DriftResiduals {
  double g_target_uS = 0.0;
  Eigen::ArrayXd t_s;            // the shared read times
  Eigen::ArrayXd s_used;         // relative read noise the regressions weighted with
  Eigen::MatrixXd annihilator;   // A = I − H (T × T)
  Eigen::VectorXd mean_square;   // m_j = mean over devices of r_j²
  Eigen::MatrixXd covariance;    // covariance of m (sample covariance of r² / devices)
  Eigen::Index num_devices = 0;  // complete devices used
};

// The residuals of the given devices (rows of campaign) under the weights s_used; devices with a
// read that is missing or ≤ 0 are skipped. Requires shared read times, sizes equal to
// campaign.num_times(). Cost: O(N·T²).
DriftResiduals drift_residuals(const measurement::Campaign& campaign,
                               const std::vector<Eigen::Index>& devices,
                               double g_target_uS,
                               const Eigen::ArrayXd& log_t_rel,
                               const Eigen::ArrayXd& s_used);

struct DriftResidualNoiseFit {
  bool available = false;     // false: nothing estimated, `message` says why
  Estimate gamma;             // the one γ of every level
  std::vector<Estimate> q_s;  // per input level; std_error is the error at fixed γ
  // d ln Q_s / dγ along the fit's covariance (Cov(ln Q, γ)/Var γ): how a change of γ within its
  // error moves every level's Q_s together (for propagating γ's error into the Q_s curve).
  std::vector<double> dlog_q_dgamma;
  double chi2 = 0.0;  // the generalised J statistic
  int dof = 0;
  double p_value = 1.0;
  std::string message;
};

// Joint fit of γ and each level's Q_s. noise_model gives t_read_s and the starting γ and Q_s.
// Needs ≥ 4 read times and one level with ≥ 20 devices; otherwise available = false.
DriftResidualNoiseFit fit_drift_residual_noise(const std::vector<DriftResiduals>& levels,
                                               const device::PcmModel& noise_model);

}  // namespace pcmkit::calibration
