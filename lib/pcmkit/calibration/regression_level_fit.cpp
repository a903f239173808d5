#include "pcmkit/calibration/regression_level_fit.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <map>

#include "pcmkit/calibration/detail/drift_regression.h"
#include "pcmkit/calibration/detail/folded_normal.h"
#include "pcmkit/calibration/detail/robust_statistics.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

// Sample mean and the standard error of the mean.
struct MeanAndError {
  double mean = 0, std_error = 0;
};

MeanAndError mean_and_error(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / (n - 1) / n)};
}

// ln(t/t0) and √(read-noise band) of every read: one row when the campaign's devices share
// their read times, else one row per device of the level.
struct ReadTimes {
  Eigen::ArrayXXd log_t, sqrt_band;
  bool shared = true;
  Eigen::Index row(Eigen::Index k) const { return shared ? 0 : k; }
};

ReadTimes read_times(const measurement::Campaign& campaign,
                     const Level& level,
                     const device::PcmModel& noise_model) {
  ReadTimes times;
  times.shared = campaign.shared_times();
  const Eigen::Index rows = times.shared ? 1 : static_cast<Eigen::Index>(level.devices.size());
  times.log_t.resize(rows, campaign.num_times());
  times.sqrt_band.resize(rows, campaign.num_times());
  for (Eigen::Index r = 0; r < rows; ++r) {
    const Eigen::Index device = times.shared ? 0 : level.devices[r];
    for (Eigen::Index j = 0; j < campaign.num_times(); ++j) {
      const double t = campaign.time_of(device, j);
      times.log_t(r, j) = std::log(t / noise_model.t0_s);
      times.sqrt_band(r, j) = std::sqrt(noise_model.read_noise_band(t));
    }
  }
  return times;
}

// Marks in `keep` the devices whose fits pass: enough reads, G_prog and ν within reject_sigma
// robust deviations of the level's, and (after the first pass, once Q_s has been estimated) a
// χ² below the 1e-9 tail. Counts each rejection's first reason in `rejected`.
void reject_outliers(const std::vector<DriftRegression>& fits,
                     bool test_chi2,
                     const RegressionLevelOptions& options,
                     std::vector<char>& keep,
                     Rejections& rejected) {
  std::vector<double> g_dev, nu;
  for (const DriftRegression& f : fits)
    if (f.ok) {
      g_dev.push_back(std::exp(f.log_g_prog));
      nu.push_back(f.drift_exponent);
    }
  rejected = {};
  if (static_cast<int>(g_dev.size()) < options.min_devices) {
    for (std::size_t k = 0; k < fits.size(); ++k) {
      keep[k] = fits[k].ok ? 1 : 0;
      if (!fits[k].ok) ++rejected.too_few_reads;
    }
    return;
  }
  // Medians do not depend on the order of the devices.
  const RobustLocation g_loc = robust_location(g_dev);
  const RobustLocation nu_loc = robust_location(nu);
  // The χ² outlier bound per dof, computed once per dof (an inverse incomplete gamma per device
  // was a quarter of a 10⁶-device calibration).
  std::map<int, double> chi2_bound;
  const auto bound = [&chi2_bound](int dof) {
    const auto [at, added] = chi2_bound.try_emplace(dof, 0.0);
    if (added)
      at->second = boost::math::quantile(
          boost::math::complement(boost::math::chi_squared(static_cast<double>(dof)), 1e-9));
    return at->second;
  };
  for (std::size_t k = 0; k < fits.size(); ++k) {
    const DriftRegression& f = fits[k];
    bool ok = false;
    if (!f.ok)
      ++rejected.too_few_reads;
    else if (!g_loc.within(std::exp(f.log_g_prog), options.reject_sigma))
      ++rejected.outlier_g_prog;
    else if (!nu_loc.within(f.drift_exponent, options.reject_sigma))
      ++rejected.outlier_nu;
    else
      ok = true;
    if (ok && test_chi2) {
      ok = f.linear_chi2 <= bound(f.num_reads - 2);
      if (!ok) ++rejected.outlier_chi2;
    }
    keep[k] = ok ? 1 : 0;
  }
}

// Each device's drift line by weighted least squares, in three passes of fit and robust
// rejection. With Q_s unknown, each pass rescales it so that the kept devices' mean χ²/dof is 1,
// and the last sets fit.q_s with its error. Returns the fits; `keep` marks the devices kept and
// `q_s` is the read noise the last pass weighed with.
std::vector<DriftRegression> regress_devices(const measurement::Campaign& campaign,
                                             const Level& level,
                                             const ReadTimes& times,
                                             const std::optional<Estimate>& q_s_known,
                                             const RegressionLevelOptions& options,
                                             double& q_s,
                                             std::vector<char>& keep,
                                             LevelFit& fit) {
  const auto n = static_cast<Eigen::Index>(level.devices.size());
  std::vector<DriftRegression> fits(static_cast<std::size_t>(n));
  keep.assign(static_cast<std::size_t>(n), 1);
  const int passes = 3;
  for (int pass = 0; pass < passes; ++pass) {
#pragma omp parallel for schedule(static)
    for (Eigen::Index k = 0; k < n; ++k) {
      const Eigen::Index r = times.row(k);
      const Eigen::ArrayXd s = q_s * times.sqrt_band.row(r).transpose();
      fits[static_cast<std::size_t>(k)] =
          fit_device_drift(times.log_t.row(r).transpose(),
                           campaign.g_uS.row(level.devices[k]).transpose().array(), s);
    }
    const std::size_t usable = static_cast<std::size_t>(
        std::count_if(fits.begin(), fits.end(), [](const DriftRegression& f) { return f.ok; }));
    reject_outliers(fits, pass > 0, options, keep, fit.rejected);
    if (static_cast<int>(usable) < options.min_devices) break;
    // Mean χ²/dof over kept devices; when Q_s is unknown, rescale it so this becomes 1.
    std::vector<double> ratio;
    for (std::size_t k = 0; k < fits.size(); ++k)
      if (keep[k]) ratio.push_back(fits[k].weighted_rss / (fits[k].num_reads - 2));
    const MeanAndError chi2 = mean_and_error(ratio);
    fit.drift_chi2_per_dof = chi2.mean;
    if (!q_s_known && pass + 1 < passes) q_s *= std::sqrt(chi2.mean);
    if (!q_s_known && pass + 1 == passes) {
      fit.q_s = {q_s, q_s * chi2.std_error / (2 * chi2.mean), true, ""};
      fit.q_s_source = ReadNoiseSource::kDriftResiduals;
    }
  }
  return fits;
}

// σ_prog from the kept devices' G_prog about the target, less each estimate's own variance.
void fit_programming_spread(const std::vector<double>& prog_term, LevelFit& fit) {
  const MeanAndError var_prog = mean_and_error(prog_term);
  const double sigma_prog = std::sqrt(std::max(var_prog.mean, 0.0));
  fit.sigma_prog_uS = {
      sigma_prog,
      sigma_prog > 0 ? var_prog.std_error / (2 * sigma_prog) : std::sqrt(var_prog.std_error), true,
      ""};
  if (!(var_prog.mean > 0))
    fit.sigma_prog_uS = {0.0, NAN, false,
                         "at bound 0: the spread of G_prog is below its estimation noise"};
}

// (μ_ν, σ_ν) of the folded normal with the drift exponents' first two moments (each estimate's
// variance removed from the second): the moments' covariance from the sample, the inverse's
// derivatives by central differences (delta method).
void fit_drift_exponent(const std::vector<double>& nu1,
                        const std::vector<double>& nu2,
                        LevelFit& fit) {
  const double m = static_cast<double>(nu1.size());
  const MeanAndError e1 = mean_and_error(nu1), e2 = mean_and_error(nu2);
  double c12 = 0;
  for (std::size_t k = 0; k < nu1.size(); ++k) c12 += (nu1[k] - e1.mean) * (nu2[k] - e2.mean);
  c12 /= (m - 1) * m;
  if (!(e1.mean > 0 && e2.mean > 0)) {
    fit.note = "drift exponents are not positive on average (conductance does not fall)";
    // ν = |…| ≥ 0: the nearest the model comes is μ_ν at its bound 0.
    fit.mu_nu = {0.0, NAN, false, "at bound 0: the drift exponents' mean is not positive"};
    return;
  }
  const FoldedNormal fn = folded_normal_from_moments(e1.mean, e2.mean);
  const double h1 = 1e-4 * e1.std_error + 1e-12, h2 = 1e-4 * e2.std_error + 1e-12;
  const FoldedNormal p1 = folded_normal_from_moments(e1.mean + h1, e2.mean);
  const FoldedNormal q1 = folded_normal_from_moments(e1.mean - h1, e2.mean);
  const FoldedNormal p2 = folded_normal_from_moments(e1.mean, e2.mean + h2);
  const FoldedNormal q2 = folded_normal_from_moments(e1.mean, e2.mean - h2);
  auto delta_se = [&](double d1, double d2) {
    const double var = d1 * d1 * e1.std_error * e1.std_error +
                       d2 * d2 * e2.std_error * e2.std_error + 2 * d1 * d2 * c12;
    return std::sqrt(std::max(var, 0.0));
  };
  fit.mu_nu = {fn.mu, delta_se((p1.mu - q1.mu) / (2 * h1), (p2.mu - q2.mu) / (2 * h2)), true, ""};
  fit.sigma_nu = {fn.sigma,
                  delta_se((p1.sigma - q1.sigma) / (2 * h1), (p2.sigma - q2.sigma) / (2 * h2)),
                  fn.sigma > 0, ""};
  // At a bound the moment inverse is flat: no standard error, and no value to fit a curve to.
  if (!(fn.mu > 0))
    fit.mu_nu = {0.0, NAN, false,
                 "at bound 0: the drift exponents' mean is no more than their spread alone gives"};
  if (fn.sigma <= 0) {
    fit.sigma_nu = {0.0, NAN, false, "at bound 0: the spread is below the estimation noise"};
    fit.note = "drift-exponent spread is below the estimation noise";
  }
}

}  // namespace

LevelFit fit_level_by_regression(const measurement::Campaign& campaign,
                                 const Level& level,
                                 const device::PcmModel& noise_model,
                                 const std::optional<Estimate>& q_s_known,
                                 const RegressionLevelOptions& options,
                                 DriftResiduals* residuals) {
  LevelFit fit;
  fit.g_target_uS = level.g_target_uS;
  fit.method = LevelMethod::kDriftRegression;
  fit.num_not_converged = level.num_not_converged;
  const auto n = static_cast<Eigen::Index>(level.devices.size());
  fit.num_devices = n + level.num_not_converged;

  const ReadTimes times = read_times(campaign, level, noise_model);
  double q_s = q_s_known ? q_s_known->value : noise_model.q_s(level.g_target_uS);
  std::vector<char> keep;
  const std::vector<DriftRegression> fits =
      regress_devices(campaign, level, times, q_s_known, options, q_s, keep, fit);
  if (q_s_known) {
    fit.q_s = *q_s_known;
    fit.q_s_source = ReadNoiseSource::kTraces;
  }
  if (residuals && times.shared) {
    std::vector<Eigen::Index> kept;
    for (Eigen::Index k = 0; k < n; ++k)
      if (keep[static_cast<std::size_t>(k)]) kept.push_back(level.devices[k]);
    *residuals = drift_residuals(campaign, kept, level.g_target_uS, times.log_t.row(0).transpose(),
                                 q_s * times.sqrt_band.row(0).transpose());
  }

  std::vector<double> prog_term, nu1, nu2, offset;
  for (std::size_t k = 0; k < fits.size(); ++k) {
    if (!keep[k]) continue;
    const DriftRegression& f = fits[k];
    // exp(β̂ − V/2) is unbiased for G_prog when β̂ is normal; its variance is G²(e^V − 1).
    const double g_prog = std::exp(f.log_g_prog - f.var_log_g_prog / 2);
    const double var_g = g_prog * g_prog * std::expm1(f.var_log_g_prog);
    const double d = g_prog - level.g_target_uS;
    prog_term.push_back(d * d - var_g);
    offset.push_back(d);
    nu1.push_back(f.drift_exponent);
    nu2.push_back(f.drift_exponent * f.drift_exponent - f.var_drift_exponent);
  }
  fit.num_used = static_cast<Eigen::Index>(prog_term.size());
  fit.num_rejected = n - fit.num_used;
  if (fit.num_used < options.min_devices) {
    fit.note = "fewer than " + std::to_string(options.min_devices) + " usable devices";
    fit.q_s.identified = false;
    return fit;
  }
  fit_programming_spread(prog_term, fit);
  fit.mean_offset_uS = mean_and_error(offset).mean;
  fit_drift_exponent(nu1, nu2, fit);
  return fit;
}

}  // namespace pcmkit::calibration
