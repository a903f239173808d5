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
  const Eigen::Index n = static_cast<Eigen::Index>(level.devices.size());
  fit.num_devices = n + level.num_not_converged;
  const Eigen::Index num_times = campaign.num_times();

  // ln(t/t0) and the read-noise band of every read (per device only when times differ).
  const Eigen::Index time_rows = campaign.shared_times() ? 1 : n;
  Eigen::ArrayXXd log_t(time_rows, num_times), sqrt_band(time_rows, num_times);
  for (Eigen::Index r = 0; r < time_rows; ++r) {
    const Eigen::Index device = campaign.shared_times() ? 0 : level.devices[r];
    for (Eigen::Index j = 0; j < num_times; ++j) {
      const double t = campaign.time_of(device, j);
      log_t(r, j) = std::log(t / noise_model.t0_s);
      sqrt_band(r, j) = std::sqrt(noise_model.read_noise_band(t));
    }
  }

  double q_s = q_s_known ? q_s_known->value : noise_model.q_s(level.g_target_uS);
  std::vector<DriftRegression> fits(static_cast<std::size_t>(n));
  std::vector<char> keep(static_cast<std::size_t>(n), 1);
  const int passes = 3;
  for (int pass = 0; pass < passes; ++pass) {
#pragma omp parallel for schedule(static)
    for (Eigen::Index k = 0; k < n; ++k) {
      const Eigen::Index r = campaign.shared_times() ? 0 : k;
      const Eigen::ArrayXd s = q_s * sqrt_band.row(r).transpose();
      fits[static_cast<std::size_t>(k)] = fit_device_drift(
          log_t.row(r).transpose(), campaign.g_uS.row(level.devices[k]).transpose().array(), s);
    }
    // Robust rejection from the fits of this pass (medians do not depend on the order).
    std::vector<double> g_dev, nu;
    for (const DriftRegression& f : fits)
      if (f.ok) {
        g_dev.push_back(std::exp(f.log_g_prog));
        nu.push_back(f.drift_exponent);
      }
    if (static_cast<int>(g_dev.size()) < options.min_devices) {
      fit.rejected = {};
      for (Eigen::Index k = 0; k < n; ++k) {
        keep[static_cast<std::size_t>(k)] = fits[static_cast<std::size_t>(k)].ok ? 1 : 0;
        if (!fits[static_cast<std::size_t>(k)].ok) ++fit.rejected.too_few_reads;
      }
      break;
    }
    const RobustLocation g_loc = robust_location(g_dev);
    const RobustLocation nu_loc = robust_location(nu);
    fit.rejected = {};  // the last pass's reasons count
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
    for (Eigen::Index k = 0; k < n; ++k) {
      const DriftRegression& f = fits[static_cast<std::size_t>(k)];
      bool ok = false;
      if (!f.ok)
        ++fit.rejected.too_few_reads;
      else if (!g_loc.within(std::exp(f.log_g_prog), options.reject_sigma))
        ++fit.rejected.outlier_g_prog;
      else if (!nu_loc.within(f.drift_exponent, options.reject_sigma))
        ++fit.rejected.outlier_nu;
      else
        ok = true;
      if (ok && pass > 0) {  // after Q_s has been estimated once, the χ² test is meaningful
        ok = f.linear_chi2 <= bound(f.num_reads - 2);
        if (!ok) ++fit.rejected.outlier_chi2;
      }
      keep[static_cast<std::size_t>(k)] = ok ? 1 : 0;
    }
    // Mean χ²/dof over kept devices; when Q_s is unknown, rescale it so this becomes 1.
    std::vector<double> ratio;
    for (Eigen::Index k = 0; k < n; ++k)
      if (keep[static_cast<std::size_t>(k)]) {
        const DriftRegression& f = fits[static_cast<std::size_t>(k)];
        ratio.push_back(f.weighted_rss / (f.num_reads - 2));
      }
    const MeanAndError chi2 = mean_and_error(ratio);
    fit.drift_chi2_per_dof = chi2.mean;
    if (!q_s_known && pass + 1 < passes) q_s *= std::sqrt(chi2.mean);
    if (!q_s_known && pass + 1 == passes) {
      fit.q_s = {q_s, q_s * chi2.std_error / (2 * chi2.mean), true, ""};
      fit.q_s_source = ReadNoiseSource::kDriftResiduals;
    }
  }
  if (q_s_known) {
    fit.q_s = *q_s_known;
    fit.q_s_source = ReadNoiseSource::kTraces;
  }
  if (residuals && campaign.shared_times()) {
    std::vector<Eigen::Index> kept;
    for (Eigen::Index k = 0; k < n; ++k)
      if (keep[static_cast<std::size_t>(k)]) kept.push_back(level.devices[k]);
    *residuals = drift_residuals(campaign, kept, level.g_target_uS, log_t.row(0).transpose(),
                                 q_s * sqrt_band.row(0).transpose());
  }

  std::vector<double> prog_term, nu1, nu2, offset;
  for (Eigen::Index k = 0; k < n; ++k) {
    if (!keep[static_cast<std::size_t>(k)]) continue;
    const DriftRegression& f = fits[static_cast<std::size_t>(k)];
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
  const double m = static_cast<double>(fit.num_used);

  const MeanAndError var_prog = mean_and_error(prog_term);
  const double sigma_prog = std::sqrt(std::max(var_prog.mean, 0.0));
  fit.sigma_prog_uS = {
      sigma_prog,
      sigma_prog > 0 ? var_prog.std_error / (2 * sigma_prog) : std::sqrt(var_prog.std_error), true,
      ""};
  if (!(var_prog.mean > 0))
    fit.sigma_prog_uS = {0.0, NAN, false,
                         "at bound 0: the spread of G_prog is below its estimation noise"};
  fit.mean_offset_uS = mean_and_error(offset).mean;

  // (μ_ν, σ_ν) = F(m1, m2); covariance of (m1, m2) from the sample, F' by central differences.
  const MeanAndError e1 = mean_and_error(nu1), e2 = mean_and_error(nu2);
  double c12 = 0;
  for (std::size_t k = 0; k < nu1.size(); ++k) c12 += (nu1[k] - e1.mean) * (nu2[k] - e2.mean);
  c12 /= (m - 1) * m;
  if (!(e1.mean > 0 && e2.mean > 0)) {
    fit.note = "drift exponents are not positive on average (conductance does not fall)";
    // ν = |…| ≥ 0: the nearest the model comes is μ_ν at its bound 0.
    fit.mu_nu = {0.0, NAN, false, "at bound 0: the drift exponents' mean is not positive"};
    return fit;
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
  return fit;
}

}  // namespace pcmkit::calibration
