// Read-noise spectrum: Q_s per conductance level and one global γ, estimated from a campaign's
// noise traces (Campaign::noise) by fitting the one-sided PSD of the relative fluctuation
//   S(f) = Q_l²·f^(−γ)   [1/Hz],  f in Hz,  one Q_l per level l (devices with equal g_target_uS)
// (the trace model of device/read_noise_trace.h).
//
// Method, per trace of R reads at step dt: the relative fluctuation y = G / line − 1, where
// `line` is the least-squares straight line in time through the reads (G_d and its drift over the
// window); a Hann window w; the periodogram P_k = 2·dt·|Σ_j w_j y_j e^{−2πijk/R}|² / Σ_j w_j²,
// f_k = k/(R·dt), whose expectation is the PSD; P averaged over log-spaced bins of f_k in
// [f_min_cycles/(R·dt), f_max_fraction/dt]. Per level and bin: the mean over the level's traces
// and its standard error sd/sqrt(M). Then one least-squares fit (Ceres) of all levels and bins,
// residuals (mean − model)/σ in the linear domain, iteratively reweighted: σ = model·sqrt(κ·ρ/M)
// at the previous solution, with ρ the relative variance of a bin of Hann periodogram values and
// κ the level's average ratio of the observed (sd/mean)² to ρ. (Weights from each bin's own sd,
// being correlated with its mean, would bias Q low by ≈ 0.3 standard errors at M = 64.)
// The model of a bin is not S at the bin's centre but the expectation of the binned periodogram:
//   E[bin] = c_l · Q_l² · mean_{k in bin} f_k^(−γ)·(1 + γ(γ+1)/(6k²))
// where 1 + γ(γ+1)/(6k²) is the Hann window's smoothing of the curved spectrum (second moment of
// its spectral window: 1/3 bin²), and c_l = 1 + 3v + 15v² is the bias of dividing by the fitted
// line instead of the unknown G_d: v is the Hann-weighted variance of the line fitted to the
// fluctuation itself, v = Q_l²·V(γ), with the spectrum assumed to extend down to
// 1/(low_frequency_windows·R·dt) (so c_l is exact to O(v²) for traces synthesised by
// sample_relative_trace with oversample = low_frequency_windows). For γ = 1, c_l − 1 ≈ 5.4·Q_l²
// whatever R and dt. Standard errors: cluster-robust (sandwich) over traces, with the inverse
// Gauss-Newton Hessian from ceres::Covariance as the bread: the bins of one trace are correlated,
// because the trace's own line scales its whole periodogram by ≈ (1 − l)².
//
// Source: Welch-type spectral estimation, e.g. Percival & Walden, "Spectral Analysis for Physical
// Applications" (1993), ch. 6 (tapering, Hann window); White, Econometrica 48, 817 (1980) for the
// sandwich covariance. Not modelled: aliasing of power above 1/(2·dt) into the fitted range; a
// drift that is not linear over the window; correlation between traces. Traces with a read ≤ 0
// are skipped, not modelled: that removes the traces with the largest excursions and biases Q low
// once censoring is common (relative standard deviation of a trace ≳ 0.25).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "pcmkit/measurement/campaign.h"

namespace pcmkit::calibration {

struct ReadNoiseSpectrumOptions {
  // Lowest fitted frequency, in cycles per window (units of 1/(R·dt)); ≥ 4. Default 16: the
  // detrended Hann periodogram matches the bin model to < 1e-5 there (1e-3 to 2e-3 at 4 cycles),
  // and a drift that is not quite linear over the window stays out of the fit. 8 was as unbiased on
  // synthetic traces, with a 12 % smaller standard error of γ.
  double f_min_cycles = 16.0;
  // Highest fitted frequency as a fraction of 1/dt, in (0, 0.5]. Default 0.4.
  double f_max_fraction = 0.4;
  // Log-spaced frequency bins per decade, in [1, 100]. Default 8.
  int bins_per_decade = 8;
  // Levels with fewer usable traces are reported but not fitted; ≥ 2. Default 5.
  int min_traces_per_level = 5;
  // A trace whose log total power (sum of its periodogram over the fitted range) is more than this
  // many robust standard deviations (1.4826·MAD) from the level's median is rejected; > 0.
  // Default 10.
  double outlier_robust_sigmas = 10.0;
  // The PSD is assumed to extend down to 1/(low_frequency_windows·R·dt); it sets the correction
  // c_l for normalising by the fitted line (see above). ≥ 1. Default 8 (= TraceSpec::oversample).
  double low_frequency_windows = 8.0;

  // Errors: InputError{source, "read_noise_spectrum.<field>", problem} for the first field out of
  //   its valid range.
  void validate(const std::string& source) const;
};

// One conductance level: the traces of devices with this exact g_target_uS.
struct LevelSpectrum {
  double g_target_uS = 0.0;
  Eigen::Index num_traces = 0;    // traces used
  Eigen::Index num_skipped = 0;   // traces with a NaN, a read ≤ 0 or a non-converged device
  Eigen::Index num_rejected = 0;  // outliers in total power (outlier_robust_sigmas)
  bool fitted = false;            // num_traces ≥ min_traces_per_level and the fit succeeded
  // Binned spectrum, for figures; empty if num_traces < 2. f_Hz is the mean frequency of the
  // periodogram points in each bin; psd_per_Hz the measured mean (no corrections applied);
  // psd_model_per_Hz the fitted expectation of the bin (with the corrections above; NaN if not
  // fitted).
  Eigen::VectorXd f_Hz, psd_per_Hz, psd_std_error, psd_model_per_Hz;
  double q_s = 0.0;              // fitted Q_l (S = Q_l²·f^(−γ), f in Hz); NaN if not fitted
  double q_s_std_error = 0.0;    // its standard error (sandwich, see above); NaN if not fitted
  double line_correction = 1.0;  // c_l at the fitted values
};

struct ReadNoiseSpectrumFit {
  bool available = false;  // false: no traces, no usable level, or the fit failed (see message)
  double gamma = 0.0;      // γ; NaN if not available
  double gamma_std_error = 0.0;  // NaN if not available or the covariance failed (see message)
  // Σ ((mean − model)/psd_std_error)² / (num_residuals − num_parameters): ≈ 1 for a good fit, less
  // when a level's traces differ by a common gain (large Q_s·low-frequency power), which Q_l
  // absorbs.
  double chi2_per_dof = 0.0;
  Eigen::Index num_residuals = 0;
  std::vector<LevelSpectrum> levels;  // every level with at least one trace, by g_target_uS
  std::string message;                // why not available, or a note (e.g. covariance failed)
};

// Above this spectrum χ²/dof the model is taken as not describing the spectra (a clear misfit:
// χ²/dof of a right model is 1 ± √(2/dof)), and every standard error is scaled by √(χ²/dof).
inline constexpr double kSpectrumMisfitChi2 = 2.0;

// Fits S(f) = Q_l²·f^(−γ) to the noise traces of `campaign` (method above).
// Requires: campaign satisfies Campaign::validate (device indices in range, dt_s > 0, sizes that
//   agree); InternalError otherwise.
// Errors: InputError from options.validate("read_noise_spectrum"). No traces, too few reads for
//   the frequency range, or no level with min_traces_per_level usable traces give
//   available = false with a message, not an exception.
// Threads: OpenMP over traces; the result does not depend on the thread count.
// Cost: one FFT of length R per trace, then a Ceres fit with one parameter per level plus γ.
ReadNoiseSpectrumFit fit_read_noise_spectrum(const measurement::Campaign& campaign,
                                             const ReadNoiseSpectrumOptions& options = {});

}  // namespace pcmkit::calibration
