#include "pcmkit/calibration/censored_level_fit.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "pcmkit/calibration/detail/ceres_quiet.h"
#include "pcmkit/calibration/detail/folded_normal.h"
#include "pcmkit/calibration/detail/gmm_sandwich.h"
#include "pcmkit/calibration/detail/robust_statistics.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

constexpr Eigen::Index kMinZeroReads = 20;  // per time, among devices with a read above 0

double normal_pdf(double z) { return std::exp(-z * z / 2) / std::sqrt(2 * std::numbers::pi); }

struct MomentIndex {
  std::vector<int> first;                   // time index of each E g_j moment
  std::vector<std::pair<int, int>> second;  // (j, k) of each E g_j g_k moment
  std::vector<int> zero;                    // time index of each P(g_j = 0) moment
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

  int size() const {
    return static_cast<int>(index_.first.size() + index_.second.size() + index_.zero.size());
  }

  Eigen::VectorXd moments(const double* theta) const {
    const double sp = theta[0] / scale_, mu = theta[1], sigma = theta[2], q = theta[3];
    double e1, e2, p0;  // E G_prog, E G_prog², P(G_prog = 0)
    if (sp <= 0) {
      e1 = std::max(g_target_, 0.0);
      e2 = e1 * e1;
      p0 = g_target_ > 0 ? 0.0 : 1.0;
    } else {
      const double a = g_target_ / sp;
      const double cdf = standard_normal_cdf(a), pdf = normal_pdf(a);
      e1 = g_target_ * cdf + sp * pdf;
      e2 = (g_target_ * g_target_ + sp * sp) * cdf + g_target_ * sp * pdf;
      p0 = standard_normal_cdf(-a);
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
    // A read of a device with G_prog > 0 is 0 when 1 + sξ ≤ 0, whatever its drift.
    for (int j : index_.zero) {
      const double s = q * sqrt_band_[j];
      out[r++] = p0 + (1 - p0) * (s > 0 ? standard_normal_cdf(-1 / s) : 0.0);
    }
    return out;
  }

 private:
  double g_target_;
  Eigen::ArrayXd log_t_, sqrt_band_;
  MomentIndex index_;
  double scale_;
};

// Moment residual scaled by the moment's standard deviation: (m̂ − m(θ))/sd(m̂).
struct GmmResidual {
  const MomentModel* model;
  Eigen::VectorXd observed;
  Eigen::VectorXd inv_sd;
  bool operator()(const double* const* theta, double* residual) const {
    const Eigen::VectorXd r = (observed - model->moments(theta[0])).cwiseProduct(inv_sd);
    for (Eigen::Index i = 0; i < r.size(); ++i) residual[i] = r[i];
    return r.allFinite();
  }
};

// The level's complete devices (no NaN read) less those whose mean read lies more than
// reject_mad robust deviations above the level's; devices at exactly 0 read 0 forever, so the
// robust scale comes from the others. Counts the rejections in fit.rejected.
std::vector<Eigen::Index> usable_devices(const measurement::Campaign& campaign,
                                         const Level& level,
                                         const CensoredLevelOptions& options,
                                         LevelFit& fit) {
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
  std::vector<double> positive;
  for (double m : device_mean)
    if (m > 0) positive.push_back(m);
  std::vector<Eigen::Index> used;
  if (positive.empty()) return used;
  const RobustLocation loc = robust_location(positive);
  const double limit = loc.median + options.reject_mad * loc.scale;
  for (std::size_t k = 0; k < complete.size(); ++k)
    if (device_mean[k] <= limit)
      used.push_back(complete[k]);
    else
      ++fit.rejected.outlier_mean_read;
  return used;
}

// Zero reads at a time: bounded moments that pin the read noise down where the products of
// reads are heavy-tailed (s ≳ 1). Only where enough devices with reads above 0 read 0 there,
// else the column repeats "the device reads 0 always" and the covariance is singular.
void add_zero_read_moments(const measurement::Campaign& campaign,
                           const std::vector<Eigen::Index>& used,
                           MomentIndex& index) {
  for (Eigen::Index j = 0; j < campaign.num_times(); ++j) {
    Eigen::Index zeros = 0;
    for (Eigen::Index i : used) {
      const auto row = campaign.g_uS.row(i);
      zeros += row[j] <= 0 && (row.array() > 0).any();
    }
    if (zeros >= kMinZeroReads) index.zero.push_back(static_cast<int>(j));
  }
}

// Each device's moment contributions (a row): its reads, products of reads and zero-read
// indicators as `index` lists them, the reads divided by `scale`.
Eigen::MatrixXd moment_contributions(const measurement::Campaign& campaign,
                                     const std::vector<Eigen::Index>& used,
                                     const MomentIndex& index,
                                     int num_moments,
                                     double scale) {
  Eigen::MatrixXd contrib(static_cast<Eigen::Index>(used.size()), num_moments);
  for (std::size_t k = 0; k < used.size(); ++k) {
    const Eigen::RowVectorXd g = campaign.g_uS.row(used[k]) / scale;
    const auto row = static_cast<Eigen::Index>(k);
    int r = 0;
    for (int j : index.first) contrib(row, r++) = g[j];
    for (const auto& [j, l] : index.second) contrib(row, r++) = g[j] * g[l];
    for (int j : index.zero) contrib(row, r++) = g[j] <= 0 ? 1.0 : 0.0;
  }
  return contrib;
}

// θ = (σ_prog, μ_ν, σ_ν, Q_s) from the moments: each weighted by its own standard deviation,
// errors by the sandwich with their full covariance (gmm_sandwich.h). The efficient weight (the
// inverse covariance) was tried: with reads this noisy (s ≈ 1) the products of reads are
// heavy-tailed, the estimated inverse is poor at a few thousand devices, and σ_ν, Q_s came out
// up to 7 standard errors off. Fills fit's four estimates, or fit.note when it cannot.
void fit_moments(const MomentModel& model,
                 const Eigen::MatrixXd& contrib,
                 double th[4],
                 LevelFit& fit) {
  const Eigen::Index n = contrib.rows();
  const Eigen::VectorXd observed = contrib.colwise().mean().transpose();
  const Eigen::MatrixXd centred = contrib.rowwise() - observed.transpose();
  const Eigen::MatrixXd moment_cov =
      centred.transpose() * centred / (static_cast<double>(n - 1) * static_cast<double>(n));
  if (!(moment_cov.diagonal().array() > 0).all()) {
    fit.note = "a moment does not vary over the devices";
    return;
  }
  const Eigen::VectorXd inv_sd = moment_cov.diagonal().cwiseSqrt().cwiseInverse();
  ceres::Problem problem;
  auto* cost = new ceres::DynamicNumericDiffCostFunction<GmmResidual, ceres::CENTRAL>(
      new GmmResidual{&model, observed, inv_sd});
  cost->AddParameterBlock(4);
  cost->SetNumResiduals(model.size());
  problem.AddResidualBlock(cost, nullptr, th);
  for (int i = 0; i < 4; ++i) problem.SetParameterLowerBound(th, i, 1e-6);
  problem.SetParameterUpperBound(th, 1, 1.0);
  problem.SetParameterUpperBound(th, 2, 1.0);
  problem.SetParameterUpperBound(th, 3, 10.0);
  std::string failure;
  if (!solve_moment_fit(problem, &failure)) {
    fit.note = "moment " + failure;
    return;
  }
  Eigen::VectorXd residual;
  Eigen::MatrixXd jacobian;
  evaluate_dense(problem, {th}, &residual, &jacobian);
  // A parameter at a bound has no error; the others' come from the free columns. No
  // pseudo-inverse: a direction the moments cannot resolve (e.g. μ_ν near 0, where the folded
  // normal does not depend on it to first order) makes the fit rank-deficient, not tight.
  std::vector<int> free;
  for (int i = 0; i < 4; ++i)
    if (th[i] > 1.0001e-6) free.push_back(i);
  const GmmInference inference = gmm_sandwich(
      jacobian(Eigen::all, free), inv_sd.asDiagonal() * moment_cov * inv_sd.asDiagonal(), residual);
  const bool have_cov = inference.ok;
  Eigen::Matrix4d c = Eigen::Matrix4d::Constant(NAN);
  if (have_cov)
    for (std::size_t a = 0; a < free.size(); ++a)
      for (std::size_t b = 0; b < free.size(); ++b)
        c(free[a], free[b]) =
            inference.covariance(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
  fit.drift_chi2_per_dof = inference.dof > 0 ? inference.j_statistic / inference.dof : NAN;

  const auto estimate = [&](int i) {
    const bool at_bound = th[i] <= 1.0001e-6;
    const double se = have_cov ? std::sqrt(std::max(c(i, i), 0.0)) : NAN;
    if (at_bound) return Estimate{th[i], NAN, false, "at its lower bound"};
    return Estimate{th[i], se, have_cov && std::isfinite(se), ""};
  };
  fit.sigma_prog_uS = estimate(0);
  fit.mu_nu = estimate(1);
  fit.sigma_nu = estimate(2);
  fit.q_s = estimate(3);
  fit.q_s_source = ReadNoiseSource::kCensoredMoments;
  if (!have_cov) fit.note = "moment fit covariance could not be computed";
}

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

  const std::vector<Eigen::Index> used = usable_devices(campaign, level, options, fit);
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

  MomentIndex index = choose_moments(num_times);
  add_zero_read_moments(campaign, used, index);
  const MomentModel model(level.g_target_uS, log_t, sqrt_band, index, scale);
  const Eigen::MatrixXd contrib = moment_contributions(campaign, used, index, model.size(), scale);
  // Start from the prior's coefficients at this level (kept off the lower bounds).
  const double g_start = std::max(level.g_target_uS, 1e-3 * noise_model.g_max_uS);
  double th[4] = {std::max(noise_model.sigma_prog_uS(level.g_target_uS), 1e-3),
                  noise_model.mu_nu(g_start), std::max(noise_model.sigma_nu(g_start), 1e-3),
                  std::max(noise_model.q_s(level.g_target_uS), 1e-3)};
  fit_moments(model, contrib, th, fit);
  return fit;
}

}  // namespace pcmkit::calibration
