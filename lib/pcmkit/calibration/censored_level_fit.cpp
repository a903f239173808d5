#include "pcmkit/calibration/censored_level_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "pcmkit/calibration/ceres_quiet.h"
#include "pcmkit/calibration/folded_normal.h"
#include "pcmkit/calibration/robust_statistics.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

double normal_pdf(double z) { return std::exp(-z * z / 2) / std::sqrt(2 * std::numbers::pi); }

struct MomentIndex {
  std::vector<int> first;                   // time index of each E g_j moment
  std::vector<std::pair<int, int>> second;  // (j, k) of each E g_j g_k moment
};

MomentIndex choose_moments(int num_times) {
  MomentIndex m;
  for (int j = 0; j < num_times; ++j) m.first.push_back(j);
  std::vector<int> spread;
  const int k = std::min(6, num_times);
  for (int i = 0; i < k; ++i) {
    const int j = k == 1 ? 0 : static_cast<int>(std::lround(1.0 * i * (num_times - 1) / (k - 1)));
    if (spread.empty() || spread.back() != j) spread.push_back(j);
  }
  for (std::size_t a = 0; a < spread.size(); ++a)
    for (std::size_t b = a; b < spread.size(); ++b) m.second.emplace_back(spread[a], spread[b]);
  return m;
}

// Model moments for θ = (σ_p, μ_ν, σ_ν, Q), in units of `scale` µS.
class MomentModel {
 public:
  MomentModel(double g_target_uS,
              Eigen::ArrayXd log_t,
              Eigen::ArrayXd sqrt_band,
              MomentIndex index,
              double scale)
      : g_target_(g_target_uS / scale),
        log_t_(std::move(log_t)),
        sqrt_band_(std::move(sqrt_band)),
        index_(std::move(index)),
        scale_(scale) {}

  int size() const { return static_cast<int>(index_.first.size() + index_.second.size()); }

  Eigen::VectorXd moments(const double* theta) const {
    const double sp = theta[0] / scale_, mu = theta[1], sigma = theta[2], q = theta[3];
    double e1, e2;
    if (sp <= 0) {
      e1 = std::max(g_target_, 0.0);
      e2 = e1 * e1;
    } else {
      const double a = g_target_ / sp;
      const double cdf = standard_normal_cdf(a), pdf = normal_pdf(a);
      e1 = g_target_ * cdf + sp * pdf;
      e2 = (g_target_ * g_target_ + sp * sp) * cdf + g_target_ * sp * pdf;
    }
    auto m1 = [&](int j) {
      const double s = q * sqrt_band_[j];
      if (s <= 0) return 1.0;
      return standard_normal_cdf(1 / s) + s * normal_pdf(1 / s);
    };
    auto m2 = [&](int j) {
      const double s = q * sqrt_band_[j];
      if (s <= 0) return 1.0;
      return (1 + s * s) * standard_normal_cdf(1 / s) + s * normal_pdf(1 / s);
    };
    Eigen::VectorXd out(size());
    int r = 0;
    for (int j : index_.first) out[r++] = e1 * folded_normal_laplace(log_t_[j], mu, sigma) * m1(j);
    for (const auto& [j, k] : index_.second) {
      const double lap = folded_normal_laplace(log_t_[j] + log_t_[k], mu, sigma);
      out[r++] = e2 * lap * (j == k ? m2(j) : m1(j) * m1(k));
    }
    return out;
  }

 private:
  double g_target_;
  Eigen::ArrayXd log_t_, sqrt_band_;
  MomentIndex index_;
  double scale_;
};

// Whitened GMM residual: L⁻¹ (m̂ − m(θ)), with S = L·Lᵀ the covariance of m̂.
struct GmmResidual {
  const MomentModel* model;
  Eigen::VectorXd observed;
  Eigen::MatrixXd whitening;  // L⁻¹
  bool operator()(const double* const* theta, double* residual) const {
    const Eigen::VectorXd r = whitening * (observed - model->moments(theta[0]));
    for (Eigen::Index i = 0; i < r.size(); ++i) residual[i] = r[i];
    return r.allFinite();
  }
};

}  // namespace

LevelFit fit_censored_level(const measurement::Campaign& campaign,
                            const Level& level,
                            const device::PcmModel& noise_model,
                            const CensoredLevelOptions& options) {
  const ScopedQuietCeres quiet;
  LevelFit fit;
  fit.g_target_uS = level.g_target_uS;
  fit.method = LevelMethod::kCensoredMoments;
  fit.num_not_converged = level.num_not_converged;
  fit.num_devices = static_cast<Eigen::Index>(level.devices.size()) + level.num_not_converged;
  if (!campaign.shared_times()) {
    fit.note = "censored level needs read times shared by all devices";
    fit.num_rejected = static_cast<Eigen::Index>(level.devices.size());
    return fit;
  }
  const int num_times = static_cast<int>(campaign.num_times());

  // Complete devices, then outliers by their mean read.
  std::vector<Eigen::Index> complete;
  std::vector<double> device_mean;
  for (Eigen::Index i : level.devices) {
    const auto row = campaign.g_uS.row(i);
    if (!row.allFinite()) {
      ++fit.rejected.incomplete;
      continue;
    }
    complete.push_back(i);
    device_mean.push_back(row.mean());
  }
  // Devices programmed to exactly 0 read 0 forever; the robust scale comes from the others.
  std::vector<double> positive;
  for (double m : device_mean)
    if (m > 0) positive.push_back(m);
  std::vector<Eigen::Index> used;
  if (!positive.empty()) {
    const RobustLocation loc = robust_location(positive);
    const double limit = loc.median + options.reject_mad * loc.scale;
    for (std::size_t k = 0; k < complete.size(); ++k)
      if (device_mean[k] <= limit)
        used.push_back(complete[k]);
      else
        ++fit.rejected.outlier_mean_read;
  }
  fit.num_used = static_cast<Eigen::Index>(used.size());
  fit.num_rejected = static_cast<Eigen::Index>(level.devices.size()) - fit.num_used;
  if (fit.num_used < options.min_devices) {
    fit.note = "fewer than " + std::to_string(options.min_devices) + " complete devices";
    return fit;
  }

  Eigen::ArrayXd log_t(num_times), sqrt_band(num_times);
  for (int j = 0; j < num_times; ++j) {
    log_t[j] = std::log(campaign.time_s(0, j) / noise_model.t0_s);
    sqrt_band[j] = std::sqrt(noise_model.read_noise_band(campaign.time_s(0, j)));
  }
  double scale = 0;
  for (Eigen::Index i : used) scale += campaign.g_uS.row(i).mean();
  scale /= static_cast<double>(used.size());
  if (!(scale > 0)) {
    fit.note = "every read is zero";
    return fit;
  }

  // Per-device moment contributions, their mean and the covariance of that mean.
  const MomentIndex index = choose_moments(num_times);
  const MomentModel model(level.g_target_uS, log_t, sqrt_band, index, scale);
  const int p = model.size();
  const Eigen::Index n = fit.num_used;
  Eigen::MatrixXd contrib(n, p);
  for (Eigen::Index k = 0; k < n; ++k) {
    const Eigen::RowVectorXd g = campaign.g_uS.row(used[static_cast<std::size_t>(k)]) / scale;
    int r = 0;
    for (int j : index.first) contrib(k, r++) = g[j];
    for (const auto& [j, l] : index.second) contrib(k, r++) = g[j] * g[l];
  }
  // The weight of a two-step GMM estimated from the same data correlates with the moments and
  // biases the scale σ_p low (about one standard error here). Cross-fitting removes that: each
  // half of the devices is fitted with the weight estimated from the other half, and the two
  // estimates are averaged (their covariances are independent halves: (C_a + C_b)/4).
  const double g_start = std::max(level.g_target_uS, 1e-3 * noise_model.g_max_uS);
  const std::array<double, 4> start = {std::max(noise_model.sigma_prog_uS(level.g_target_uS), 1e-3),
                                       noise_model.mu_nu(g_start),
                                       std::max(noise_model.sigma_nu(g_start), 1e-3),
                                       std::max(noise_model.q_s(level.g_target_uS), 1e-3)};
  std::array<double, 4> theta = {0, 0, 0, 0};
  Eigen::Matrix4d c = Eigen::Matrix4d::Zero();
  bool have_cov = true;
  double j_stat = 0;
  for (int half = 0; half < 2; ++half) {
    std::vector<Eigen::Index> fit_rows, weight_rows;
    for (Eigen::Index k = 0; k < n; ++k) (k % 2 == half ? fit_rows : weight_rows).push_back(k);
    const Eigen::MatrixXd fit_part = contrib(fit_rows, Eigen::all);
    const Eigen::MatrixXd weight_part = contrib(weight_rows, Eigen::all);
    const Eigen::VectorXd observed = fit_part.colwise().mean().transpose();
    const Eigen::MatrixXd centred = weight_part.rowwise() - weight_part.colwise().mean();
    const double n_fit = static_cast<double>(fit_rows.size());
    Eigen::MatrixXd cov =
        (centred.transpose() * centred) / (static_cast<double>(weight_rows.size() - 1) * n_fit);
    cov.diagonal().array() += 1e-12 * cov.diagonal().mean();  // guard against collinearity
    const Eigen::LLT<Eigen::MatrixXd> llt(cov);
    if (llt.info() != Eigen::Success) {
      fit.note = "moment covariance is singular";
      return fit;
    }
    const Eigen::MatrixXd whitening = llt.matrixL().solve(Eigen::MatrixXd::Identity(p, p));
    double th[4] = {start[0], start[1], start[2], start[3]};
    ceres::Problem problem;
    auto* cost = new ceres::DynamicNumericDiffCostFunction<GmmResidual, ceres::CENTRAL>(
        new GmmResidual{&model, observed, whitening});
    cost->AddParameterBlock(4);
    cost->SetNumResiduals(p);
    problem.AddResidualBlock(cost, nullptr, th);
    for (int i = 0; i < 4; ++i) problem.SetParameterLowerBound(th, i, 1e-6);
    problem.SetParameterUpperBound(th, 1, 1.0);
    problem.SetParameterUpperBound(th, 2, 1.0);
    problem.SetParameterUpperBound(th, 3, 10.0);
    ceres::Solver::Options solver;
    solver.max_num_iterations = 200;
    solver.function_tolerance = 1e-12;
    solver.parameter_tolerance = 1e-12;
    solver.logging_type = ceres::SILENT;
    ceres::Solver::Summary summary;
    ceres::Solve(solver, &problem, &summary);
    if (!summary.IsSolutionUsable()) {
      fit.note = "moment fit failed: " + summary.message;
      return fit;
    }
    j_stat += summary.final_cost;  // each half's J/2; the mean J is their sum
    ceres::Covariance::Options cov_options;
    cov_options.algorithm_type = ceres::DENSE_SVD;
    // No pseudo-inverse: it gives a direction the moments cannot resolve (e.g. μ_ν near 0,
    // where the folded normal does not depend on it to first order) zero variance, a tight wrong
    // error. A rank-deficient fit has no covariance, and its coefficients are not identified.
    cov_options.null_space_rank = 0;
    cov_options.min_reciprocal_condition_number = 1e-14;
    ceres::Covariance covariance(cov_options);
    std::vector<std::pair<const double*, const double*>> blocks = {{th, th}};
    double ch[16];
    have_cov = have_cov && covariance.Compute(blocks, &problem) &&
               covariance.GetCovarianceBlock(th, th, ch);
    for (int i = 0; i < 4; ++i) {
      theta[i] += th[i] / 2;
      for (int k = 0; k < 4; ++k) c(i, k) += ch[i * 4 + k] / 4;
    }
  }
  fit.drift_chi2_per_dof = j_stat / std::max(1, p - 4);  // Hansen's J per dof, mean of halves

  auto estimate = [&](int i) {
    const bool at_bound = theta[i] <= 1.0001e-6;
    const double se = have_cov ? std::sqrt(std::max(c(i, i), 0.0)) : NAN;
    if (at_bound) return Estimate{theta[i], NAN, false, "at its lower bound"};
    return Estimate{theta[i], se, have_cov && std::isfinite(se), ""};
  };
  fit.sigma_prog_uS = estimate(0);
  fit.mu_nu = estimate(1);
  fit.sigma_nu = estimate(2);
  fit.q_s = estimate(3);
  fit.q_s_source = ReadNoiseSource::kCensoredMoments;
  if (!have_cov) fit.note = "moment fit covariance could not be computed";
  return fit;
}

}  // namespace pcmkit::calibration
