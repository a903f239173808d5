// Calibration: fits every coefficient of the PCM model (pcm_model.h) to a measurement campaign.
//
// 1. Read noise from traces (read_noise_spectrum.h): Q_s per level and a global γ.
// 2. Per level (devices with one target G_T; flagged non-converged devices left out):
//    uncensored levels by per-device drift regressions (regression_level_fit.h), levels whose
//    reads reach zero by censored population moments (censored_level_fit.h). Each gives
//    σ_prog, μ_ν, σ_ν (and Q_s where no trace measured it) with standard errors.
// 3. The coefficient curves through the levels (coefficient_curves.h), with Ceres:
//    σ_prog(x) → c0, c1, c2;  μ_ν(x) → a0, a1, μ_min, μ_max;  σ_ν(x) → b0, b1, σ_min, σ_max;
//    ln Q_s(x) → ln q0, −α, ln q_max.  γ comes from step 1; without traces, from how the reads
//    scatter about their drift lines over time (drift_residual_noise.h; the levels are refitted
//    under that γ, and its error is carried into the Q_s curve).
// Coefficients that no level informs are reported not identified and kept at the prior's value.
// Not done: fitting t0 (a convention, given as an option) or G_max (from the file).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pcmkit/calibration/censored_level_fit.h"
#include "pcmkit/calibration/coefficient_curves.h"
#include "pcmkit/calibration/drift_residual_noise.h"
#include "pcmkit/calibration/level_fit.h"
#include "pcmkit/calibration/model_adequacy.h"
#include "pcmkit/calibration/read_noise_spectrum.h"
#include "pcmkit/calibration/regression_level_fit.h"
#include "pcmkit/core/progress.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

struct CalibrationOptions {
  double t0_s = 20.0;  // reference time of G_prog, > 0 and ≤ the first read time
  // Starting values, and the values kept for coefficients the data cannot determine.
  device::PcmModel prior = device::PcmModel::published();
  // A level is fitted as censored when more than this fraction of its reads is ≤ 0 ...
  double censored_zero_fraction = 1e-3;
  // ... or when its relative read noise σ_r at the last read exceeds this.
  double max_regression_read_noise = 0.3;
  RegressionLevelOptions regression;
  CensoredLevelOptions censored;
  ReadNoiseSpectrumOptions spectrum;
  bool check_adequacy = true;  // simulate the fitted model on the campaign (model_adequacy.h)
  AdequacyOptions adequacy;
  // > 0: fit on the reads before this time only, then check the fitted model's prediction of the
  // reads from it on as the adequacy check does (CalibrationResult::holdout).
  double holdout_from_s = 0.0;

  // Errors: InputError{"", field, problem} naming the field ("t0_s", "holdout_from_s").
  void validate() const;
};

// Where γ came from.
enum class GammaSource { kPrior, kNoiseTraces, kDriftResiduals };
// "prior", "noise traces" or "drift residuals" (the model JSON's goodness_of_fit.gamma_source).
const char* gamma_source_name(GammaSource source);

struct CoefficientFit {
  std::string name;   // as device::coefficients()
  Estimate estimate;  // value is also in CalibrationResult::model
  double prior = 0.0;
};

struct CalibrationResult {
  device::PcmModel model;
  std::vector<CoefficientFit> coefficients;
  std::vector<LevelFit> levels;
  ReadNoiseSpectrumFit spectrum;
  // Without traces: γ and Q_s from the drift residuals (drift_residual_noise.h), when possible.
  DriftResidualNoiseFit residual_noise;
  std::vector<double> q_s_dlog_dgamma;  // per level: d ln Q_s/dγ (0 unless γ from residuals)
  GammaSource gamma_source = GammaSource::kPrior;
  CurveFit programming_curve, mu_curve, sigma_curve, q_curve;
  std::optional<AdequacyResult> adequacy;  // when options.check_adequacy
  // With options.holdout_from_s: the held-out reads (t ≥ holdout_from_s) against the prediction
  // of the model fitted before it. The campaign summary below then describes the fitted reads.
  std::optional<AdequacyResult> holdout;
  double holdout_from_s = 0.0;
  // Campaign summary, for provenance.
  Eigen::Index num_devices = 0, num_not_converged = 0, num_times = 0, num_traces = 0;
  // Reads below 0 µS (an instrument's offset), fitted as 0: the model's reads are censored at 0.
  Eigen::Index num_negative_reads = 0;
  double min_read_uS = 0.0;  // the lowest read (0 when none is below 0)
  double t_min_s = 0.0, t_max_s = 0.0;
  std::vector<std::string> warnings;  // one sentence each
};

// Requires: campaign.validate() passed (reads below 0 are taken as 0 and counted).
// Errors: InputError when a read time is before t0_s or the holdout leaves too few reads;
// RunError when no level could be fitted or the fitted model is out of its valid range.
// Threads: OpenMP; bit-identical results for any thread count. Cost: O(N·T), a few seconds
// for 10⁶ devices × 20 reads.
CalibrationResult calibrate(const measurement::Campaign& campaign,
                            const CalibrationOptions& options,
                            const ProgressCallback& progress = {});

}  // namespace pcmkit::calibration
