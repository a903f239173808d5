#include "pcmkit/calibration/read_noise_spectrum.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <map>
#include <sstream>
#include <unsupported/Eigen/FFT>
#include <utility>
#include <vector>

#include "pcmkit/calibration/detail/robust_statistics.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
// Second moment of the periodic Hann window's spectral window |W|²/Σw², in bins² (header).
constexpr double kHannSecondMoment = 1.0 / 3.0;
// Correlation² of Hann-windowed periodogram values 1 and 2 bins apart (flat spectrum).
constexpr double kHannCorrelation1 = 4.0 / 9.0;
constexpr double kHannCorrelation2 = 1.0 / 36.0;
// Reweighting / line-correction iterations; each changes the fit by O(Q²) or less.
constexpr int kMaxIterations = 20;
constexpr double kIterationTolerance = 1e-9;
// v above which the series 1 + 3v + 15v² is no longer a good approximation (next term 105v³).
constexpr double kLineCorrectionValidity = 0.02;

using Complex = std::complex<double>;

// Scalar log and exp: Eigen's AVX-512 plog/pexp trip GCC 12's -Wuninitialized (a false positive
// inside its own intrinsics), which -Werror turns into a build failure.
Eigen::ArrayXd log_of(const Eigen::ArrayXd& x) {
  return x.unaryExpr([](double v) { return std::log(v); });
}
Eigen::ArrayXd exp_of(const Eigen::ArrayXd& x) {
  return x.unaryExpr([](double v) { return std::exp(v); });
}

// Periodic Hann window w_j = sin²(πj/R).
Eigen::ArrayXd hann_window(Eigen::Index num_reads) {
  Eigen::ArrayXd w(num_reads);
  for (Eigen::Index j = 0; j < num_reads; ++j) {
    const double s = std::sin(kPi * static_cast<double>(j) / static_cast<double>(num_reads));
    w[j] = s * s;
  }
  return w;
}

// DFT indices k (f_k = k/(R·dt)) grouped into log-spaced bins.
struct Bins {
  std::vector<Eigen::Index> first_k;
  std::vector<Eigen::Index> num_k;
  Eigen::Index size() const { return static_cast<Eigen::Index>(first_k.size()); }
  Eigen::ArrayXd k(Eigen::Index b) const {
    const Eigen::Index first = first_k[static_cast<std::size_t>(b)];
    const Eigen::Index count = num_k[static_cast<std::size_t>(b)];
    return Eigen::ArrayXd::LinSpaced(count, static_cast<double>(first),
                                     static_cast<double>(first + count - 1));
  }
};

Bins make_bins(Eigen::Index num_reads, const ReadNoiseSpectrumOptions& options) {
  const auto k_lo = static_cast<Eigen::Index>(std::ceil(options.f_min_cycles));
  // Below the Nyquist bin, whose periodogram has another normalisation.
  const Eigen::Index k_hi = std::min(static_cast<Eigen::Index>(std::floor(
                                         options.f_max_fraction * static_cast<double>(num_reads))),
                                     (num_reads - 1) / 2);
  Bins bins;
  long current = -1;
  for (Eigen::Index k = k_lo; k <= k_hi; ++k) {
    const auto bin = static_cast<long>(std::floor(
        options.bins_per_decade * std::log10(static_cast<double>(k) / options.f_min_cycles)));
    if (bin != current) {
      bins.first_k.push_back(k);
      bins.num_k.push_back(0);
      current = bin;
    }
    ++bins.num_k.back();
  }
  return bins;
}

// Detrending, Hann window and binned periodogram of one trace (header, "Method"). One per thread:
// it owns the FFT plan and buffers.
class TraceAnalyser {
 public:
  TraceAnalyser(Eigen::Index num_reads, double dt_s, const Bins& bins)
      : bins_(bins), window_(hann_window(num_reads)), windowed_(num_reads) {
    const double r = static_cast<double>(num_reads);
    j_centred_ = Eigen::ArrayXd::LinSpaced(num_reads, 0.0, r - 1.0) - 0.5 * (r - 1.0);
    scale_ = 2.0 * dt_s / window_.square().sum();
    fft_.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    spectrum_.resize(static_cast<std::size_t>(num_reads / 2 + 1));
  }

  // Binned periodogram into `binned` and the log of its total power; false if the trace is
  // unusable (a NaN, a read ≤ 0, or a fitted line ≤ 0).
  bool analyse(const Eigen::Ref<const Eigen::ArrayXd>& g_uS,
               Eigen::Ref<Eigen::ArrayXd> binned,
               double& log_total_power) {
    if (!g_uS.allFinite() || (g_uS <= 0).any()) return false;
    const double slope_uS = (j_centred_ * g_uS).sum() / j_centred_.square().sum();
    const Eigen::ArrayXd line_uS = g_uS.mean() + slope_uS * j_centred_;
    if ((line_uS <= 0).any()) return false;
    Eigen::Map<Eigen::ArrayXd>(windowed_.data(), g_uS.size()) = window_ * (g_uS / line_uS - 1.0);
    fft_.fwd(spectrum_.data(), windowed_.data(), g_uS.size());
    double total = 0.0;
    for (Eigen::Index b = 0; b < bins_.size(); ++b) {
      double sum = 0.0;
      const Eigen::Index first = bins_.first_k[static_cast<std::size_t>(b)];
      const Eigen::Index count = bins_.num_k[static_cast<std::size_t>(b)];
      for (Eigen::Index k = first; k < first + count; ++k)
        sum += std::norm(spectrum_[static_cast<std::size_t>(k)]);
      binned[b] = scale_ * sum / static_cast<double>(count);
      total += scale_ * sum;
    }
    log_total_power = std::log(total);
    return std::isfinite(log_total_power);
  }

 private:
  const Bins& bins_;
  Eigen::ArrayXd window_, j_centred_;
  double scale_ = 0.0;
  std::vector<double> windowed_;
  std::vector<Complex> spectrum_;
  Eigen::FFT<double> fft_;
};

// c = E[1/(1 + l)²] ≈ 1 + 3v + 15v² for the straight line l fitted to the fluctuation itself
// (header). Var(l_j) = Q²·u_jᵀ M(γ) u_j with u_j = (u0_j, u1_j) the orthonormal basis of {1, j}
// and M_ab = Σ_m f_m^(−γ)·Re(ũ_a ũ_b*)/(L·dt) on the grid f_m = m/(L·dt), m = 1..L/2 (the
// spectral representation of device/read_noise_trace.cpp); averaged over j with weights w_j².
class LineCorrection {
 public:
  LineCorrection(Eigen::Index num_reads, double dt_s, double low_frequency_windows) {
    const double r = static_cast<double>(num_reads);
    Eigen::Index length = std::max<Eigen::Index>(
        num_reads, static_cast<Eigen::Index>(std::llround(low_frequency_windows * r)));
    length += length % 2;
    const Eigen::ArrayXd j_centred =
        Eigen::ArrayXd::LinSpaced(num_reads, 0.0, r - 1.0) - 0.5 * (r - 1.0);
    u0_ = Eigen::ArrayXd::Constant(num_reads, 1.0 / std::sqrt(r));
    u1_ = j_centred / std::sqrt(j_centred.square().sum());
    weight_ = hann_window(num_reads).square();
    weight_ /= weight_.sum();

    Eigen::FFT<double> fft;
    fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
    std::vector<double> padded(static_cast<std::size_t>(length), 0.0);
    std::vector<Complex> t0(static_cast<std::size_t>(length / 2 + 1)), t1(t0.size());
    std::copy(u0_.begin(), u0_.end(), padded.begin());
    fft.fwd(t0.data(), padded.data(), length);
    std::copy(u1_.begin(), u1_.end(), padded.begin());
    fft.fwd(t1.data(), padded.data(), length);

    const Eigen::Index half = length / 2;
    const double df_Hz = 1.0 / (static_cast<double>(length) * dt_s);
    log_f_.resize(half);
    c00_.resize(half);
    c01_.resize(half);
    c11_.resize(half);
    for (Eigen::Index m = 1; m <= half; ++m) {
      const auto i = static_cast<std::size_t>(m);
      log_f_[m - 1] = std::log(static_cast<double>(m) * df_Hz);
      c00_[m - 1] = std::norm(t0[i]) * df_Hz;
      c01_[m - 1] = (t0[i] * std::conj(t1[i])).real() * df_Hz;
      c11_[m - 1] = std::norm(t1[i]) * df_Hz;
    }
  }

  // (Σ_j w_j²·v_j, Σ_j w_j²·v_j²)/Σ_j w_j² with v_j = Var(l_j), for S = Q²·f^(−γ).
  std::pair<double, double> variance(double q_s, double gamma) const {
    const Eigen::ArrayXd s = q_s * q_s * exp_of(-gamma * log_f_);
    const double m00 = (s * c00_).sum(), m01 = (s * c01_).sum(), m11 = (s * c11_).sum();
    const Eigen::ArrayXd v = m00 * u0_.square() + 2.0 * m01 * u0_ * u1_ + m11 * u1_.square();
    return {(weight_ * v).sum(), (weight_ * v.square()).sum()};
  }

  double factor(double q_s, double gamma) const {
    const auto [v, v2] = variance(q_s, gamma);
    return 1.0 + 3.0 * v + 15.0 * v2;
  }

 private:
  Eigen::ArrayXd u0_, u1_, weight_, log_f_, c00_, c01_, c11_;
};

// One fitted level: its traces, its bins and the current weights.
struct LevelData {
  std::size_t level = 0;              // index into ReadNoiseSpectrumFit::levels
  std::vector<Eigen::Index> traces;   // rows of noise/g_uS used
  std::vector<Eigen::ArrayXd> log_f;  // per bin: ln f_k
  std::vector<Eigen::ArrayXd> hann;   // per bin: kHannSecondMoment/(2·k²)
  Eigen::ArrayXd relative_variance;   // per bin: Var(bin)/E[bin]² of one trace, up to a scale
  double line_correction = 1.0;       // c_l
  Eigen::ArrayXd sigma;               // per bin: the fit's standard error of the mean (weights)
};

// E[bin] = c·Q²·mean_k f_k^(−γ)·(1 + γ(γ+1)·h_k), h_k = kHannSecondMoment/(2k²) (header).
template <typename T>
T bin_model(const T& q_s,
            const T& gamma,
            const Eigen::ArrayXd& log_f,
            const Eigen::ArrayXd& hann,
            double line_correction) {
  using std::exp;
  T sum(0.0);
  for (Eigen::Index i = 0; i < log_f.size(); ++i)
    sum += exp(-gamma * log_f[i]) * (1.0 + gamma * (gamma + 1.0) * hann[i]);
  return line_correction * q_s * q_s * sum / static_cast<double>(log_f.size());
}

struct BinResidual {
  template <typename T>
  bool operator()(const T* q_s, const T* gamma, T* residual) const {
    residual[0] = (mean - bin_model(q_s[0], gamma[0], log_f, hann, line_correction)) / sigma;
    return true;
  }
  Eigen::ArrayXd log_f, hann;
  double line_correction, mean, sigma;
};

struct FitState {
  double gamma = 1.0;
  std::vector<double> q_s;  // per LevelData
};

// Log-log regression with one intercept per level and a common slope: the starting values.
FitState start_values(const std::vector<LevelData>& data,
                      const std::vector<LevelSpectrum>& levels) {
  double sxy = 0.0, sxx = 0.0;
  std::vector<std::pair<double, double>> means;
  for (const LevelData& d : data) {
    const Eigen::ArrayXd x = log_of(levels[d.level].f_Hz.array());
    const Eigen::ArrayXd y = log_of(levels[d.level].psd_per_Hz.array());
    means.emplace_back(x.mean(), y.mean());
    sxy += ((x - x.mean()) * (y - y.mean())).sum();
    sxx += (x - x.mean()).square().sum();
  }
  FitState state;
  state.gamma = sxx > 0 ? std::clamp(-sxy / sxx, 0.05, 2.95) : 1.0;
  for (const auto& [x_mean, y_mean] : means)
    state.q_s.push_back(std::exp(0.5 * (y_mean + state.gamma * x_mean)));
  return state;
}

// Weights and line corrections at `state`: σ_b = model_b·sqrt(κ·ρ_b/M), with ρ_b the relative
// variance of a bin of Hann periodogram values and κ the level's mean ratio of the observed to
// that relative variance. They use no single bin's own scatter, so the weighted mean stays
// unbiased (weights from each bin's own sd pull the fit low by O(1/M) of the bin's variance).
void update_weights(const LineCorrection& line,
                    const std::vector<LevelSpectrum>& levels,
                    const FitState& state,
                    std::vector<LevelData>& data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    LevelData& d = data[i];
    const LevelSpectrum& level = levels[d.level];
    d.line_correction = line.factor(state.q_s[i], state.gamma);
    const Eigen::ArrayXd observed =
        (level.psd_std_error.array() / level.psd_per_Hz.array()).square();  // = Var/(mean²·M)
    const double kappa = (observed / d.relative_variance).mean();
    d.sigma.resize(static_cast<Eigen::Index>(d.log_f.size()));
    for (Eigen::Index b = 0; b < d.sigma.size(); ++b) {
      const auto bb = static_cast<std::size_t>(b);
      d.sigma[b] =
          bin_model(state.q_s[i], state.gamma, d.log_f[bb], d.hann[bb], d.line_correction) *
          std::sqrt(kappa * d.relative_variance[b]);
    }
  }
}

ceres::Solver::Summary solve(const std::vector<LevelData>& data,
                             const std::vector<LevelSpectrum>& levels,
                             FitState& state,
                             ceres::Problem& problem) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    for (std::size_t b = 0; b < data[i].log_f.size(); ++b) {
      const auto bb = static_cast<Eigen::Index>(b);
      auto* residual = new BinResidual{data[i].log_f[b], data[i].hann[b], data[i].line_correction,
                                       levels[data[i].level].psd_per_Hz[bb], data[i].sigma[bb]};
      problem.AddResidualBlock(new ceres::AutoDiffCostFunction<BinResidual, 1, 1, 1>(residual),
                               nullptr, &state.q_s[i], &state.gamma);
    }
  }
  ceres::Solver::Options options;
  options.linear_solver_type = ceres::DENSE_QR;
  options.max_num_iterations = 200;
  options.function_tolerance = 1e-14;
  options.gradient_tolerance = 1e-14;
  options.parameter_tolerance = 1e-12;
  options.logging_type = ceres::SILENT;
  options.num_threads = 1;
  ceres::Solver::Summary summary;
  ceres::Solve(options, &problem, &summary);
  return summary;
}

// Cluster-robust (sandwich) covariance over traces of (γ, Q_0, Q_1, ...): bread = inverse
// Gauss-Newton Hessian (ceres::Covariance), meat = Σ_t s_t s_tᵀ with s_t trace t's share of the
// normal equations. The bins of one trace are correlated (its own line scales its whole
// periodogram, and Hann leaks between neighbours), which the bread alone would miss.
bool robust_covariance(const std::vector<LevelData>& data,
                       const Eigen::ArrayXXd& binned,
                       const std::vector<LevelSpectrum>& levels,
                       FitState& state,
                       ceres::Problem& problem,
                       Eigen::MatrixXd& covariance) {
  ceres::Covariance::Options options;
  options.algorithm_type = ceres::DENSE_SVD;
  options.num_threads = 1;
  ceres::Covariance ceres_covariance(options);
  std::vector<const double*> parameters = {&state.gamma};
  for (const double& q : state.q_s) parameters.push_back(&q);
  const auto num_p = static_cast<Eigen::Index>(parameters.size());
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> bread(num_p, num_p);
  if (!ceres_covariance.Compute(parameters, &problem) ||
      !ceres_covariance.GetCovarianceMatrix(parameters, bread.data()))
    return false;
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(num_p, num_p);
  using Jet = ceres::Jet<double, 2>;  // derivatives by (γ, Q_l)
  for (std::size_t i = 0; i < data.size(); ++i) {
    const LevelData& d = data[i];
    const auto m = static_cast<double>(d.traces.size());
    Eigen::Matrix2Xd weight(2, d.sigma.size());  // d model_b/d(γ, Q_l) / (σ_b²·M)
    for (Eigen::Index b = 0; b < d.sigma.size(); ++b) {
      const auto bb = static_cast<std::size_t>(b);
      const Jet model = bin_model(Jet(state.q_s[i], 1), Jet(state.gamma, 0), d.log_f[bb],
                                  d.hann[bb], d.line_correction);
      weight.col(b) = model.v / (d.sigma[b] * d.sigma[b] * m);
    }
    Eigen::Matrix2d level_meat = Eigen::Matrix2d::Zero();
    for (Eigen::Index t : d.traces) {
      const Eigen::Vector2d s = weight * (binned.col(t).matrix() - levels[d.level].psd_per_Hz);
      level_meat += s * s.transpose();
    }
    level_meat *= m / (m - 1.0);  // the scores are centred on the level's own mean
    const Eigen::Index p = static_cast<Eigen::Index>(i) + 1;
    meat(0, 0) += level_meat(0, 0);
    meat(0, p) += level_meat(0, 1);
    meat(p, 0) += level_meat(1, 0);
    meat(p, p) += level_meat(1, 1);
  }
  covariance = bread * meat * bread;
  return true;
}

void check_campaign(const measurement::Campaign& campaign) {
  const measurement::NoiseTraces& n = *campaign.noise;
  const Eigen::Index m = n.g_uS.rows();
  PCMKIT_CHECK(n.device_index.size() == m, "noise/device_index size differs from noise/g_uS rows");
  PCMKIT_CHECK(std::isfinite(n.dt_s) && n.dt_s > 0, "noise/dt_s must be > 0");
  PCMKIT_CHECK(campaign.converged.empty() ||
                   static_cast<Eigen::Index>(campaign.converged.size()) == campaign.num_devices(),
               "devices/converged size differs from devices/g_target_uS");
  for (Eigen::Index i = 0; i < m; ++i)
    PCMKIT_CHECK(n.device_index[i] >= 0 && n.device_index[i] < campaign.num_devices(),
                 "noise/device_index out of range");
}

// Every trace's binned periodogram (a column of `binned`) and log total power, stored per trace
// so that the thread count cannot change them; traces of non-converged devices, or with NaN or
// a read <= 0, are not usable.
struct Periodograms {
  Eigen::ArrayXXd binned;
  std::vector<double> log_power;
  std::vector<std::uint8_t> usable;
};

Periodograms periodograms(const measurement::Campaign& campaign, const Bins& bins) {
  const measurement::NoiseTraces& noise = *campaign.noise;
  const Eigen::Index num_traces = noise.g_uS.rows(), num_reads = noise.g_uS.cols();
  Periodograms p;
  p.binned.resize(bins.size(), num_traces);
  p.log_power.assign(static_cast<std::size_t>(num_traces), kNaN);
  p.usable.assign(static_cast<std::size_t>(num_traces), 0);
#pragma omp parallel
  {
    TraceAnalyser analyser(num_reads, noise.dt_s, bins);
#pragma omp for schedule(static)
    for (Eigen::Index i = 0; i < num_traces; ++i) {
      const auto t = static_cast<std::size_t>(i);
      if (!campaign.is_converged(noise.device_index[i])) continue;
      p.usable[t] =
          analyser.analyse(noise.g_uS.row(i).transpose().array(), p.binned.col(i), p.log_power[t]);
    }
  }
  return p;
}

// One level's measured spectrum: its usable traces less the outliers in log total power, and
// the mean periodogram with its standard error when two or more are left. `kept` returns the
// traces used.
LevelSpectrum measured_level_spectrum(double g_target_uS,
                                      const std::vector<Eigen::Index>& rows,
                                      const Periodograms& p,
                                      const Eigen::VectorXd& bin_f_Hz,
                                      const ReadNoiseSpectrumOptions& options,
                                      std::vector<Eigen::Index>& kept) {
  LevelSpectrum level;
  level.g_target_uS = g_target_uS;
  level.q_s = level.q_s_std_error = kNaN;
  kept.clear();
  for (Eigen::Index i : rows)
    if (p.usable[static_cast<std::size_t>(i)]) kept.push_back(i);
  level.num_skipped = static_cast<Eigen::Index>(rows.size() - kept.size());
  if (kept.size() >= 3) {  // robust outlier rejection on the log total power
    std::vector<double> lp;
    for (Eigen::Index i : kept) lp.push_back(p.log_power[static_cast<std::size_t>(i)]);
    const RobustLocation robust = robust_location(std::move(lp));
    std::erase_if(kept, [&](Eigen::Index i) {
      return !robust.within(p.log_power[static_cast<std::size_t>(i)],
                            options.outlier_robust_sigmas);
    });
  }
  level.num_traces = static_cast<Eigen::Index>(kept.size());
  level.num_rejected =
      static_cast<Eigen::Index>(rows.size()) - level.num_skipped - level.num_traces;
  if (level.num_traces >= 2) {
    Eigen::ArrayXXd x(bin_f_Hz.size(), level.num_traces);
    for (Eigen::Index c = 0; c < level.num_traces; ++c)
      x.col(c) = p.binned.col(kept[static_cast<std::size_t>(c)]);
    const Eigen::ArrayXd mean = x.rowwise().mean();
    const Eigen::ArrayXd var =
        (x.colwise() - mean).square().rowwise().sum() / static_cast<double>(x.cols() - 1);
    level.f_Hz = bin_f_Hz;
    level.psd_per_Hz = mean.matrix();
    level.psd_std_error = (var / static_cast<double>(x.cols())).sqrt().matrix();
    level.psd_model_per_Hz = Eigen::VectorXd::Constant(bin_f_Hz.size(), kNaN);
  }
  return level;
}

// What the fit needs of level `index` (of fit.levels): its traces and, per bin, the log
// frequencies, the Hann window's bias and the variance of a bin's mean over correlated lines.
LevelData level_data(std::size_t index,
                     std::vector<Eigen::Index> traces,
                     const Bins& bins,
                     double df_Hz) {
  LevelData d;
  d.level = index;
  d.traces = std::move(traces);
  d.relative_variance.resize(bins.size());
  for (Eigen::Index b = 0; b < bins.size(); ++b) {
    const Eigen::ArrayXd k = bins.k(b);
    d.log_f.push_back(log_of(k * df_Hz));
    d.hann.push_back(kHannSecondMoment / (2.0 * k.square()));
    const double n = static_cast<double>(k.size());
    d.relative_variance[b] = (n + 2.0 * std::max(n - 1.0, 0.0) * kHannCorrelation1 +
                              2.0 * std::max(n - 2.0, 0.0) * kHannCorrelation2) /
                             (n * n);
  }
  return d;
}

// Iteratively reweighted fit of γ and each level's Q_s: weights and line corrections from the
// previous solution, until γ and every Q_s move by less than kIterationTolerance. False (with
// fit.message) when Ceres gives no usable solution.
bool fit_power_laws(const LineCorrection& line,
                    std::vector<LevelData>& data,
                    ReadNoiseSpectrumFit& fit,
                    FitState& state,
                    ceres::Problem& problem,
                    std::ostringstream& notes) {
  state = start_values(data, fit.levels);
  bool converged = false;
  for (int iteration = 0; iteration < kMaxIterations && !converged; ++iteration) {
    const FitState previous = state;
    update_weights(line, fit.levels, state, data);
    problem = ceres::Problem();
    const ceres::Solver::Summary summary = solve(data, fit.levels, state, problem);
    if (!summary.IsSolutionUsable() || !std::isfinite(state.gamma)) {
      fit.message = "read-noise spectrum fit failed: " + summary.BriefReport();
      return false;
    }
    converged = std::abs(state.gamma - previous.gamma) < kIterationTolerance;
    for (std::size_t i = 0; i < data.size(); ++i)
      converged = converged && std::abs(state.q_s[i] / previous.q_s[i] - 1.0) < kIterationTolerance;
  }
  if (!converged) notes << "reweighting did not converge in " << kMaxIterations << " iterations; ";
  return true;
}

// The fitted γ, Q_s and model spectra into fit; returns χ² over all bins.
double store_fitted_levels(const LineCorrection& line,
                           const std::vector<LevelData>& data,
                           const FitState& state,
                           Eigen::Index num_bins,
                           ReadNoiseSpectrumFit& fit,
                           std::ostringstream& notes) {
  fit.available = true;
  fit.gamma = state.gamma;
  double chi2 = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    LevelSpectrum& level = fit.levels[data[i].level];
    level.fitted = true;
    level.q_s = std::abs(state.q_s[i]);
    level.line_correction = data[i].line_correction;
    for (Eigen::Index b = 0; b < num_bins; ++b) {
      const auto bb = static_cast<std::size_t>(b);
      level.psd_model_per_Hz[b] = bin_model(state.q_s[i], state.gamma, data[i].log_f[bb],
                                            data[i].hann[bb], data[i].line_correction);
    }
    chi2 += ((level.psd_per_Hz - level.psd_model_per_Hz).array() / level.psd_std_error.array())
                .square()
                .sum();
    if (line.variance(level.q_s, fit.gamma).first > kLineCorrectionValidity)
      notes << "level " << level.g_target_uS << " uS: line correction " << level.line_correction
            << " outside its validity (Q_s too large); ";
  }
  return chi2;
}

// Standard errors of γ and each Q_s from the sandwich covariance over traces (Ceres evaluates
// the problem at `state`, hence not const).
void set_standard_errors(const std::vector<LevelData>& data,
                         const Eigen::ArrayXXd& binned,
                         FitState& state,
                         ceres::Problem& problem,
                         ReadNoiseSpectrumFit& fit,
                         std::ostringstream& notes) {
  Eigen::MatrixXd covariance;
  if (!robust_covariance(data, binned, fit.levels, state, problem, covariance)) {
    notes << "covariance not available (rank-deficient Jacobian); ";
    return;
  }
  fit.gamma_std_error = std::sqrt(covariance(0, 0));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto p = static_cast<Eigen::Index>(i) + 1;
    fit.levels[data[i].level].q_s_std_error = std::sqrt(covariance(p, p));
  }
  // Spectra that one power law per level does not describe (a bend, a Lorentzian bump): the
  // sandwich covers the scatter, not the model's error, so scale by √(χ²/dof) (Birge ratio).
  if (fit.chi2_per_dof > kSpectrumMisfitChi2) {
    const double scale = std::sqrt(fit.chi2_per_dof);
    fit.gamma_std_error *= scale;
    for (LevelSpectrum& level : fit.levels)
      if (level.fitted) level.q_s_std_error *= scale;
    notes << "the spectra are not one power law per level (chi2/dof " << fit.chi2_per_dof
          << "): errors scaled by its square root; ";
  }
}

}  // namespace

void ReadNoiseSpectrumOptions::validate(const std::string& source) const {
  require_input(std::isfinite(f_min_cycles) && f_min_cycles >= 4, source,
                "read_noise_spectrum.f_min_cycles", "must be >= 4", f_min_cycles);
  require_input(f_max_fraction > 0 && f_max_fraction <= 0.5, source,
                "read_noise_spectrum.f_max_fraction", "must be in (0, 0.5]", f_max_fraction);
  require_input(bins_per_decade >= 1 && bins_per_decade <= 100, source,
                "read_noise_spectrum.bins_per_decade", "must be in [1, 100]", bins_per_decade);
  require_input(min_traces_per_level >= 2, source, "read_noise_spectrum.min_traces_per_level",
                "must be >= 2", min_traces_per_level);
  require_input(outlier_robust_sigmas > 0, source, "read_noise_spectrum.outlier_robust_sigmas",
                "must be > 0", outlier_robust_sigmas);
  require_input(std::isfinite(low_frequency_windows) && low_frequency_windows >= 1 &&
                    low_frequency_windows <= 1024,
                source, "read_noise_spectrum.low_frequency_windows", "must be in [1, 1024]",
                low_frequency_windows);
}

ReadNoiseSpectrumFit fit_read_noise_spectrum(const measurement::Campaign& campaign,
                                             const ReadNoiseSpectrumOptions& options) {
  options.validate("read_noise_spectrum");
  ReadNoiseSpectrumFit fit;
  fit.gamma = fit.gamma_std_error = fit.chi2_per_dof = kNaN;
  if (!campaign.noise || campaign.noise->g_uS.rows() == 0) {
    fit.message = "no noise traces";
    return fit;
  }
  check_campaign(campaign);
  const measurement::NoiseTraces& noise = *campaign.noise;
  const Eigen::Index num_reads = noise.g_uS.cols();
  const Bins bins = make_bins(num_reads, options);
  if (bins.size() == 0) {
    std::ostringstream s;
    s << "traces of " << num_reads << " reads have no frequency in [" << options.f_min_cycles
      << ", " << options.f_max_fraction * static_cast<double>(num_reads) << "] cycles per window";
    fit.message = s.str();
    return fit;
  }
  const Periodograms p = periodograms(campaign, bins);

  std::map<double, std::vector<Eigen::Index>> by_level;
  for (Eigen::Index i = 0; i < noise.g_uS.rows(); ++i)
    by_level[campaign.g_target_uS[noise.device_index[i]]].push_back(i);
  const double df_Hz = 1.0 / (static_cast<double>(num_reads) * noise.dt_s);
  Eigen::VectorXd bin_f_Hz(bins.size());
  for (Eigen::Index b = 0; b < bins.size(); ++b) bin_f_Hz[b] = bins.k(b).mean() * df_Hz;

  std::vector<LevelData> data;
  std::ostringstream notes;
  for (const auto& [g_target_uS, rows] : by_level) {
    std::vector<Eigen::Index> kept;
    LevelSpectrum level = measured_level_spectrum(g_target_uS, rows, p, bin_f_Hz, options, kept);
    const bool enough = level.num_traces >= options.min_traces_per_level;
    const bool positive = enough && (level.psd_per_Hz.array() > 0).all() &&
                          (level.psd_std_error.array() > 0).all() &&
                          level.psd_std_error.allFinite();
    if (enough && !positive)
      notes << "level " << g_target_uS << " uS not fitted: zero or non-finite spectrum; ";
    if (positive) data.push_back(level_data(fit.levels.size(), std::move(kept), bins, df_Hz));
    fit.levels.push_back(std::move(level));
  }

  if (data.empty()) {
    std::ostringstream s;
    s << "no level with at least " << options.min_traces_per_level
      << " usable traces (NaN, a read <= 0 and non-converged devices are skipped)";
    fit.message = s.str() + (notes.str().empty() ? "" : "; " + notes.str());
    return fit;
  }
  const Eigen::Index num_parameters = static_cast<Eigen::Index>(data.size()) + 1;
  fit.num_residuals = static_cast<Eigen::Index>(data.size()) * bins.size();
  if (fit.num_residuals <= num_parameters) {
    std::ostringstream s;
    s << fit.num_residuals << " binned values for " << num_parameters
      << " parameters: increase bins_per_decade or widen the frequency range";
    fit.message = s.str();
    return fit;
  }

  const LineCorrection line(num_reads, noise.dt_s, options.low_frequency_windows);
  FitState state;
  ceres::Problem problem;
  if (!fit_power_laws(line, data, fit, state, problem, notes)) return fit;
  const double chi2 = store_fitted_levels(line, data, state, bins.size(), fit, notes);
  fit.chi2_per_dof = chi2 / static_cast<double>(fit.num_residuals - num_parameters);
  set_standard_errors(data, p.binned, state, problem, fit, notes);
  fit.message = notes.str();
  return fit;
}

}  // namespace pcmkit::calibration
