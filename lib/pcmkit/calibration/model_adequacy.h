// Does the fitted model describe the campaign at all? The virtual-chip check (issue #15): the
// fitted model is simulated on the campaign's own levels, devices, read times and missing reads,
// and at every (level, read time) the measured conductance distribution is compared with the
// predicted one.
//   statistic   Kolmogorov–Smirnov distance D between the measured reads of a cell and a large
//               reference sample of the model (reference_copies draws per device), taken at 63
//               quantiles of the reference (fast, and the same for data and replicates); reads
//               below 0 count as 0, as the model's reads are censored at 0.
//   calibration `replicates` campaigns drawn from the fitted model give D per cell. D scaled by
//               √(n·m/(n + m)) (n reads, m reference draws) has one null law for every cell of a
//               continuous distribution (D at the reference's own quantiles is distribution-free),
//               so those cells are standardised (z) by the mean and s.d. pooled over all of them
//               and all replicates; cells with reads at exactly 0 (an atom) by their own
//               replicates (each replicate against the others). The family-wise threshold is the
//               k-th largest of the replicates' largest z over all cells, k = ⌊α(R + 1)⌋ (a
//               Monte-Carlo test); the measured campaign's cells above it are flagged. The
//               replicates are not refitted: each draws its levels' parameters moved by their
//               estimation errors instead (LevelParameterErrors), since the measured campaign
//               is compared with a model fitted to it. Every device draws its own items
//               (its campaign row), so levels are independent. Measured false alarms
//               (calibrate, 20 campaigns each of two foreign models, 13 levels × 200/500/2,000
//               devices × 18 reads, with and without traces, `calibration_coverage`): 2 of 240
//               (conservative: a curve's error at a level is below the level's own). Power:
//               `adequacy_power`.
//   also        per cell: mean error (measured − predicted, in predicted s.d. of the mean) and the
//               ratio of measured to predicted spread, and five quantiles of both, for figures.
// Levels with fewer than min_devices converged devices are not checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pcmkit/device/pcm_model.h"
#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

struct AdequacyOptions {
  int replicates = 39;        // simulated campaigns for the null distribution, ≥ 19
  int reference_copies = 4;   // reference draws per device, ≥ 1
  double false_alarm = 0.05;  // family-wise, in (0, 0.5)
  Eigen::Index max_devices_per_level =
      2000;  // a level's devices beyond its first this many are skipped
  Eigen::Index min_devices = 20;
  std::uint64_t seed = 1;
  // Errors: InputError{"", field, problem}.
  void validate() const;
};

inline constexpr int kAdequacyQuantiles = 5;  // 5%, 25%, 50%, 75%, 95%
inline constexpr double kAdequacyQuantileLevels[kAdequacyQuantiles] = {0.05, 0.25, 0.5, 0.75, 0.95};

struct CellAdequacy {
  double g_target_uS = 0;
  double t_s = 0;          // median read time of the cell
  Eigen::Index reads = 0;  // measured reads compared
  double ks_distance = 0;
  double z = 0;             // standardised by the replicates
  bool flagged = false;     // z above the family-wise threshold
  double mean_error = 0;    // (measured − predicted mean) / predicted s.d. of the mean
  double spread_ratio = 0;  // measured s.d. / predicted s.d.
  double measured_quantiles_uS[kAdequacyQuantiles] = {};
  double predicted_quantiles_uS[kAdequacyQuantiles] = {};
};

struct LevelAdequacy {
  double g_target_uS = 0;
  bool checked = false;     // enough devices, and a fit of its own (LevelParameterErrors)
  std::string not_checked;  // why not, when not checked
  bool describes = true;    // no cell of this level flagged
  double max_z = 0;
  std::vector<double> flagged_times_s;
};

// Do the traces' read noise and the reads' scatter about their drift lines agree? At a level
// whose Q_s the traces gave, the mean drift-line χ²/dof of its devices is 1 when they do, with
// s.d. √(2/((T − 2)·N) + (2·se(Q_s)/Q_s)² + (s_γ·se(γ))²), s_γ = d ln σ_r²/dγ at the read times
// with the traces' PSD held at their log-centre frequency (γ extrapolates the traces' band to the
// reads'); flagged beyond kTraceAgreementZ of those (a wide margin: outlier rejection trims the
// χ² tail, and the drift law is only approximately a line in ln t).
inline constexpr double kTraceAgreementZ = 5.0;

struct TraceAgreement {
  double g_target_uS = 0;
  double chi2_per_dof = 0;
  double z = 0;
  bool flagged = false;
};

struct AdequacyResult {
  std::vector<CellAdequacy> cells;  // level by level, time by time
  std::vector<LevelAdequacy> levels;
  std::vector<TraceAgreement> traces_vs_reads;  // levels with traces (filled by calibrate)
  double threshold_z = 0;                       // family-wise threshold on z
  double max_z = 0;                             // the measured campaign's largest z
  bool describes = true;                        // no cell flagged
  int replicates = 0;
  double false_alarm = 0;
  // "describes the data" or "does not describe the data at levels ... (times ...)".
  std::string verdict;
  // The verdict after its first phrase (" at levels ...", "; not checked: ..."), for other
  // wordings of the same finding (prediction_verdict).
  std::string verdict_detail;
};

// How far the fitted model may be off at a level: the standard errors of the level's own
// estimates (0 where it has none). Each replicate draws the level's parameters moved by these
// errors (normal, independent per replicate and level), so the null law holds the fit's own error,
// as a refitted parametric bootstrap would: the measured campaign is compared with a model fitted
// to it, never with its truth. Conservative: a curve pools the levels, so its error at a level is
// smaller than the level's own.
struct LevelParameterErrors {
  double g_target_uS = 0;
  double sigma_prog_uS = 0;
  double mu_nu = 0;
  double sigma_nu = 0;
  double log_q_s = 0;  // se(Q_s)/Q_s
  // false: the level had no fit of its own (e.g. too few complete devices at 0 µS), so the
  // model there is the curves' reach and its error unknown: the level is not checked.
  bool fitted = true;
};

// Requires: model valid; campaign valid with read times ≥ model.t0_s. Random: counter-based on
// options.seed. Threads: OpenMP over devices; results independent of the thread count.
// Cost: O(N·T·(replicates + reference_copies)) with N ≤ max_devices_per_level per level.
AdequacyResult check_model_adequacy(const measurement::Campaign& campaign,
                                    const device::PcmModel& model,
                                    const AdequacyOptions& options = {},
                                    const std::vector<LevelParameterErrors>& errors = {});

// The verdict of a check on held-out reads (calibrate --holdout-times): "predicts the held-out
// reads" or "does not predict the held-out reads at levels ...".
std::string prediction_verdict(const AdequacyResult& result);

}  // namespace pcmkit::calibration
