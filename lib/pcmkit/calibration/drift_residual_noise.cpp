#include "pcmkit/calibration/drift_residual_noise.h"

#include <ceres/ceres.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "pcmkit/calibration/detail/ceres_quiet.h"
#include "pcmkit/calibration/detail/drift_regression.h"
#include "pcmkit/calibration/detail/gmm_sandwich.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

constexpr int kMinDevices = 20;
constexpr double kGammaLow = 0.05, kGammaHigh = 2.95;  // as the spectrum fit's range

// E r_j² of one level for (γ, ln Q_s).
class ResidualModel {
 public:
  ResidualModel(const DriftResiduals& level, const device::PcmModel& noise_model)
      : level_(&level), model_(noise_model), a2_(level.annihilator.array().square().matrix()) {}

  Eigen::VectorXd mean_square(double gamma, double log_q) const {
    device::PcmModel m = model_;
    m.read_noise.gamma = gamma;
    const Eigen::Index t = level_->t_s.size();
    const double q = std::exp(log_q);
    Eigen::VectorXd v(t), b_diff(t);
    for (Eigen::Index k = 0; k < t; ++k) {
      const double s = q * std::sqrt(m.read_noise_band(level_->t_s[k]));
      v[k] = log_read_variance(s);
      b_diff[k] = log_read_bias(s) - log_read_bias(level_->s_used[k]);
    }
    return a2_ * v + (level_->annihilator * b_diff).cwiseAbs2();
  }

 private:
  const DriftResiduals* level_;
  device::PcmModel model_;
  Eigen::MatrixXd a2_;  // A∘A
};

// (m_j − E r_j²)/sd(m_j) for one level.
struct LevelResidual {
  const ResidualModel* model;
  const DriftResiduals* level;
  Eigen::VectorXd inv_sd;
  bool operator()(const double* gamma, const double* log_q, double* residual) const {
    const Eigen::VectorXd r =
        (level->mean_square - model->mean_square(gamma[0], log_q[0])).cwiseProduct(inv_sd);
    for (Eigen::Index j = 0; j < r.size(); ++j) residual[j] = r[j];
    return r.allFinite();
  }
};

}  // namespace

DriftResiduals drift_residuals(const measurement::Campaign& campaign,
                               const std::vector<Eigen::Index>& devices,
                               double g_target_uS,
                               const Eigen::ArrayXd& log_t_rel,
                               const Eigen::ArrayXd& s_used) {
  PCMKIT_CHECK(campaign.shared_times(), "drift residuals need shared read times");
  const Eigen::Index t = campaign.num_times();
  PCMKIT_CHECK(log_t_rel.size() == t && s_used.size() == t, "size mismatch");
  DriftResiduals out;
  out.g_target_uS = g_target_uS;
  out.t_s.resize(t);
  for (Eigen::Index j = 0; j < t; ++j) out.t_s[j] = campaign.time_s(0, j);
  out.s_used = s_used;

  Eigen::MatrixXd x(t, 2);
  x.col(0).setOnes();
  x.col(1) = log_t_rel.matrix();
  Eigen::VectorXd w(t), bias(t);
  for (Eigen::Index j = 0; j < t; ++j) {
    w[j] = 1.0 / log_read_variance(s_used[j]);
    bias[j] = log_read_bias(s_used[j]);
  }
  const Eigen::Matrix2d xtwx = x.transpose() * w.asDiagonal() * x;
  const Eigen::MatrixXd hat = x * xtwx.inverse() * x.transpose() * w.asDiagonal();
  out.annihilator = Eigen::MatrixXd::Identity(t, t) - hat;

  std::vector<Eigen::Index> complete;
  for (Eigen::Index i : devices) {
    const auto row = campaign.g_uS.row(i);
    if (row.allFinite() && (row.array() > 0).all()) complete.push_back(i);
  }
  out.num_devices = static_cast<Eigen::Index>(complete.size());
  out.mean_square = Eigen::VectorXd::Zero(t);
  out.covariance = Eigen::MatrixXd::Zero(t, t);
  if (out.num_devices < 2) return out;
  Eigen::MatrixXd squares(out.num_devices, t);
  for (Eigen::Index k = 0; k < out.num_devices; ++k) {
    const Eigen::VectorXd y = campaign.g_uS.row(complete[static_cast<std::size_t>(k)])
                                  .transpose()
                                  .array()
                                  .log()
                                  .matrix() -
                              bias;
    squares.row(k) = (out.annihilator * y).cwiseAbs2().transpose();
  }
  out.mean_square = squares.colwise().mean().transpose();
  const Eigen::MatrixXd centred = squares.rowwise() - out.mean_square.transpose();
  const double n = static_cast<double>(out.num_devices);
  out.covariance = centred.transpose() * centred / ((n - 1) * n);
  return out;
}

DriftResidualNoiseFit fit_drift_residual_noise(const std::vector<DriftResiduals>& levels,
                                               const device::PcmModel& noise_model) {
  const ScopedQuietCeres quiet;
  DriftResidualNoiseFit fit;
  fit.q_s.resize(levels.size());
  fit.dlog_q_dgamma.assign(levels.size(), 0.0);
  std::vector<std::size_t> used;
  for (std::size_t l = 0; l < levels.size(); ++l)
    if (levels[l].num_devices >= kMinDevices && levels[l].t_s.size() >= 4 &&
        (levels[l].covariance.diagonal().array() > 0).all())
      used.push_back(l);
  if (used.empty()) {
    fit.message = "no level with 4 read times and 20 devices read above 0 every time";
    return fit;
  }

  double gamma = std::clamp(noise_model.read_noise.gamma, kGammaLow, kGammaHigh);
  std::vector<double> log_q(used.size());
  std::vector<ResidualModel> models;
  models.reserve(used.size());
  for (std::size_t u = 0; u < used.size(); ++u) {
    const DriftResiduals& level = levels[used[u]];
    models.emplace_back(level, noise_model);
    device::PcmModel m = noise_model;
    m.read_noise.gamma = gamma;
    log_q[u] = std::log(level.s_used[0] / std::sqrt(m.read_noise_band(level.t_s[0])));
  }
  ceres::Problem problem;
  std::vector<Eigen::VectorXd> inv_sd(used.size());
  for (std::size_t u = 0; u < used.size(); ++u) {
    const DriftResiduals& level = levels[used[u]];
    inv_sd[u] = level.covariance.diagonal().cwiseSqrt().cwiseInverse();
    auto* cost =
        new ceres::NumericDiffCostFunction<LevelResidual, ceres::CENTRAL, ceres::DYNAMIC, 1, 1>(
            new LevelResidual{&models[u], &level, inv_sd[u]}, ceres::TAKE_OWNERSHIP,
            static_cast<int>(level.t_s.size()));
    problem.AddResidualBlock(cost, nullptr, &gamma, &log_q[u]);
  }
  problem.SetParameterLowerBound(&gamma, 0, kGammaLow);
  problem.SetParameterUpperBound(&gamma, 0, kGammaHigh);
  if (!solve_moment_fit(problem, &fit.message)) return fit;
  if (gamma <= kGammaLow * 1.0001 || gamma >= kGammaHigh * 0.9999) {
    fit.message = "gamma reached the end of its range (" + std::to_string(gamma) + ")";
    return fit;
  }

  // Sandwich covariance: G = ∂e/∂θ of the weighted residuals e, bread GᵀG, meat GᵀΩG with Ω the
  // weighted moments' covariance (block diagonal over levels).
  std::vector<double*> blocks = {&gamma};
  for (double& q : log_q) blocks.push_back(&q);
  Eigen::VectorXd e;
  Eigen::MatrixXd g;
  evaluate_dense(problem, blocks, &e, &g);
  const Eigen::Index num_res = e.size();
  Eigen::MatrixXd omega = Eigen::MatrixXd::Zero(num_res, num_res);
  Eigen::Index row = 0;
  for (std::size_t u = 0; u < used.size(); ++u) {
    const Eigen::Index t = levels[used[u]].t_s.size();
    omega.block(row, row, t, t) =
        inv_sd[u].asDiagonal() * levels[used[u]].covariance * inv_sd[u].asDiagonal();
    row += t;
  }
  const GmmInference inference = gmm_sandwich(g, omega, e);
  if (!inference.ok) {
    fit.message = "gamma and Q_s cannot be told apart by these read times";
    return fit;
  }
  const Eigen::MatrixXd& cov = inference.covariance;
  fit.chi2 = inference.j_statistic;
  fit.dof = inference.dof;
  fit.p_value = inference.p_value;

  const double var_gamma = cov(0, 0);
  fit.gamma = {gamma, std::sqrt(var_gamma), std::isfinite(var_gamma) && var_gamma > 0, ""};
  for (std::size_t u = 0; u < used.size(); ++u) {
    const Eigen::Index k = static_cast<Eigen::Index>(u) + 1;
    const double slope = cov(k, 0) / var_gamma;
    const double conditional = std::max(cov(k, k) - slope * cov(k, 0), 0.0);
    const double q = std::exp(log_q[u]);
    fit.q_s[used[u]] = {q, q * std::sqrt(conditional), std::isfinite(conditional), ""};
    fit.dlog_q_dgamma[used[u]] = slope;
  }
  fit.available = fit.gamma.identified;
  if (!fit.available) fit.message = "the standard error of gamma could not be computed";
  return fit;
}

}  // namespace pcmkit::calibration
