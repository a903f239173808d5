// What the calibration learns about one programming level (all devices with one target G_T):
// the four device statistics that the model's coefficient curves are then fitted to.
#pragma once

#include <Eigen/Core>
#include <limits>
#include <string>
#include <vector>

namespace pcmkit::calibration {

// An estimated quantity. identified = false means the data could not determine it.
struct Estimate {
  double value = std::numeric_limits<double>::quiet_NaN();
  double std_error = std::numeric_limits<double>::quiet_NaN();
  bool identified = false;
  // For a value the data did not determine but a stated rule set (not the prior's), the rule in
  // a few words, e.g. "constant curve: slope 0"; for an estimate at a bound of its range (no
  // standard error), "at bound ..."; empty otherwise.
  std::string rule;
};

// Why devices of a level were left out of its fit, by reason.
struct Rejections {
  Eigen::Index incomplete = 0;         // a read missing (the censored fit needs every read)
  Eigen::Index too_few_reads = 0;      // fewer than 3 reads above 0: no drift regression
  Eigen::Index outlier_g_prog = 0;     // Ĝ_prog beyond reject_sigma robust s.d. of the level
  Eigen::Index outlier_nu = 0;         // ν̂ beyond reject_sigma robust s.d. of the level
  Eigen::Index outlier_chi2 = 0;       // reads far from their own drift line (χ² test)
  Eigen::Index outlier_mean_read = 0;  // censored level: mean read far above the others
  Eigen::Index total() const {
    return incomplete + too_few_reads + outlier_g_prog + outlier_nu + outlier_chi2 +
           outlier_mean_read;
  }
  // e.g. "12 with too few reads above 0, 3 outliers in nu"; "" when none.
  std::string text() const;
};

enum class LevelMethod {
  kDriftRegression,  // per-device weighted regressions, then moments (drift_regression.h)
  kCensoredMoments,  // population moments of reads censored at 0 (censored_level_fit.h)
};

enum class ReadNoiseSource { kTraces, kDriftResiduals, kCensoredMoments, kNone };

struct LevelFit {
  double g_target_uS = 0.0;
  LevelMethod method = LevelMethod::kDriftRegression;
  Eigen::Index num_devices = 0;        // devices at this target
  Eigen::Index num_not_converged = 0;  // flagged in /devices/converged, left out
  Eigen::Index num_rejected = 0;       // outliers or unusable reads, left out
  Rejections rejected;                 // num_rejected by reason
  Eigen::Index num_used = 0;
  Estimate sigma_prog_uS;  // σ_prog at this level
  Estimate mu_nu;          // μ_ν of the underlying normal of ν
  Estimate sigma_nu;       // σ_ν
  Estimate q_s;            // Q_s
  ReadNoiseSource q_s_source = ReadNoiseSource::kNone;
  double mean_offset_uS = 0.0;  // mean(Ĝ_prog − G_T): the model says 0 (a fit diagnostic)
  double drift_chi2_per_dof = std::numeric_limits<double>::quiet_NaN();  // ≈ 1 when reads fit
  std::string note;  // why something is not identified, in one sentence
};

// Devices (row indices of a campaign) that share one target conductance.
struct Level {
  double g_target_uS = 0.0;
  std::vector<Eigen::Index> devices;  // converged devices
  Eigen::Index num_not_converged = 0;
};

}  // namespace pcmkit::calibration
