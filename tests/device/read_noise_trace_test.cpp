#include "pcmkit/device/read_noise_trace.h"

#include <doctest/doctest.h>

#include <boost/math/special_functions/trigamma.hpp>
#include <cmath>
#include <complex>
#include <numbers>
#include <unsupported/Eigen/FFT>
#include <vector>

#include "pcmkit/core/error.h"

namespace {

using pcmkit::device::sample_relative_trace;
using pcmkit::device::TraceSpec;

// Statistical checks pass within this many standard errors of the sample.
constexpr double kSigmas = 4.0;
constexpr double kPi = std::numbers::pi;

// Scalar log and power: Eigen's AVX-512 plog/ppow trip GCC 12's -Wuninitialized.
Eigen::ArrayXd log_of(const Eigen::ArrayXd& x) {
  return x.unaryExpr([](double v) { return std::log(v); });
}
Eigen::ArrayXd pow_of(const Eigen::ArrayXd& x, double e) {
  return x.unaryExpr([e](double v) { return std::pow(v, e); });
}

Eigen::Index grid_length(const TraceSpec& spec) {
  const Eigen::Index length = spec.num_reads * spec.oversample;
  return length + length % 2;
}

// v_m = S(f_m)/(L·dt), m = 1..L/2: the power of grid bin m; Σ v_m is the variance of the series.
Eigen::ArrayXd bin_powers(const TraceSpec& spec) {
  const Eigen::Index length = grid_length(spec);
  Eigen::ArrayXd v(length / 2);
  const double df_Hz = 1.0 / (static_cast<double>(length) * spec.dt_s);
  for (Eigen::Index m = 1; m <= length / 2; ++m)
    v[m - 1] = spec.q_s * spec.q_s * std::pow(static_cast<double>(m) * df_Hz, -spec.gamma) * df_Hz;
  return v;
}

// Standard deviation of one trace's mean of x_k² over its R reads, for the Gaussian process with
// autocovariance C(d) = Σ_m v_m·cos(2π·m·d/L): Var = (2/R²)·Σ_{j,k} C(j − k)².
double sd_of_mean_square(const TraceSpec& spec) {
  const Eigen::ArrayXd v = bin_powers(spec);
  const Eigen::Index length = grid_length(spec), r = spec.num_reads;
  double sum = 0.0;
  for (Eigen::Index d = -(r - 1); d <= r - 1; ++d) {
    double c = 0.0;
    for (Eigen::Index m = 1; m <= length / 2; ++m)
      c +=
          v[m - 1] * std::cos(2.0 * kPi * static_cast<double>(m * d) / static_cast<double>(length));
    sum += static_cast<double>(r - std::abs(d)) * c * c;
  }
  return std::sqrt(2.0 * sum) / static_cast<double>(r);
}

// Mean over `num_traces` traces of the trace's mean of x_k².
double mean_square(const TraceSpec& spec, int num_traces) {
  double sum = 0.0;
  for (int i = 0; i < num_traces; ++i)
    sum += sample_relative_trace(spec, 7, static_cast<std::uint64_t>(i)).square().mean();
  return sum / num_traces;
}

// One-sided periodogram (2·dt/R)·|X_k|²·R/Σw² of a trace with window w (all ones: none).
Eigen::ArrayXd periodogram(const Eigen::ArrayXd& x, const Eigen::ArrayXd& w, double dt_s) {
  Eigen::FFT<double> fft;
  std::vector<double> in(x.size());
  Eigen::Map<Eigen::ArrayXd>(in.data(), x.size()) = x * w;
  std::vector<std::complex<double>> out;
  fft.fwd(out, in);
  Eigen::ArrayXd p(x.size() / 2);
  for (Eigen::Index k = 0; k < p.size(); ++k)
    p[k] = 2.0 * dt_s * std::norm(out[static_cast<std::size_t>(k)]) / w.square().sum();
  return p;
}

}  // namespace

TEST_CASE("variance equals the PSD integral over the grid, Nyquist bin included") {
  // With oversample = 1 the trace is the whole periodic series, so its mean of x² is Σ_m |X_m|²/L²
  // exactly: a sum of independent terms v_m·Exp(1) (m < L/2) and v_N·χ²_1 (Nyquist), whose mean is
  // Σ v_m and whose sd is sqrt(Σ_{m<N} v_m² + 2·v_N²). Tolerance: kSigmas standard errors.
  struct Case {
    Eigen::Index num_reads;
    double gamma;
    int num_traces;
  };
  // R = 2: only the Nyquist bin carries power; R = 4: one ordinary bin and the Nyquist bin.
  for (const Case& c : {Case{2, 1.0, 20000}, Case{4, 1.0, 20000}, Case{4, 1.7, 20000},
                        Case{1024, 1.0, 400}, Case{1024, 1.3, 400}}) {
    CAPTURE(c.num_reads);
    CAPTURE(c.gamma);
    const TraceSpec spec{0.02, c.gamma, 0.01, c.num_reads, 1};
    const Eigen::ArrayXd v = bin_powers(spec);
    const double expected = v.sum();
    const double v_nyquist = v[v.size() - 1];
    const double sd = std::sqrt(v.head(v.size() - 1).square().sum() + 2.0 * v_nyquist * v_nyquist);
    const double se = sd / std::sqrt(static_cast<double>(c.num_traces));
    CHECK(std::abs(mean_square(spec, c.num_traces) - expected) < kSigmas * se);
  }
}

TEST_CASE("the first R samples of an oversampled grid have the full variance") {
  // N = 400 traces of R = 256 from L = 2048; the sd of one trace's mean of x² comes from the
  // autocovariance (sd_of_mean_square). Tolerance: kSigmas standard errors.
  for (double gamma : {1.0, 0.7}) {
    CAPTURE(gamma);
    const TraceSpec spec{0.01, gamma, 0.1, 256, 8};
    const int n = 400;
    const double se = sd_of_mean_square(spec) / std::sqrt(static_cast<double>(n));
    CHECK(std::abs(mean_square(spec, n) - bin_powers(spec).sum()) < kSigmas * se);
  }
}

TEST_CASE("PSD level and slope at mid frequencies") {
  // oversample = 1: the periodogram P_m = (2·dt/L)·|X_m|² of the periodic trace is exactly
  // S(f_m)·Exp(1), independent over m and traces. Level: mean of P_m/S(f_m) over N = 200 traces and
  // K = 224 frequencies (m = 32..255), sd 1/sqrt(N·K) = 0.0047. Slope: least squares of ln P̄_m (P̄
  // the mean over traces, Var ln P̄ = trigamma(N)) against ln f_m. Tolerance: kSigmas·sd.
  const int n = 200;
  const Eigen::Index m_lo = 32, m_hi = 256;
  std::uint64_t seed = 11;
  for (double gamma : {1.0, 1.3, 0.6}) {
    CAPTURE(gamma);
    ++seed;
    const TraceSpec spec{0.03, gamma, 0.01, 1024, 1};
    const Eigen::ArrayXd none = Eigen::ArrayXd::Ones(spec.num_reads);
    Eigen::ArrayXd mean_p = Eigen::ArrayXd::Zero(m_hi - m_lo);
    for (int i = 0; i < n; ++i)
      mean_p += periodogram(sample_relative_trace(spec, seed, static_cast<std::uint64_t>(i)), none,
                            spec.dt_s)
                    .segment(m_lo, m_hi - m_lo);
    mean_p /= n;
    const Eigen::ArrayXd f_Hz =
        Eigen::ArrayXd::LinSpaced(m_hi - m_lo, m_lo, m_hi - 1) / (1024 * spec.dt_s);
    const Eigen::ArrayXd psd = spec.q_s * spec.q_s * pow_of(f_Hz, -gamma);
    const double k = static_cast<double>(m_hi - m_lo);
    CHECK(std::abs((mean_p / psd).mean() - 1.0) < kSigmas / std::sqrt(n * k));

    const Eigen::ArrayXd x = log_of(f_Hz) - log_of(f_Hz).mean();
    const Eigen::ArrayXd y = log_of(mean_p);
    const double slope = (x * (y - y.mean())).sum() / x.square().sum();
    const double slope_se =
        std::sqrt(boost::math::trigamma(static_cast<double>(n)) / x.square().sum());
    CHECK(std::abs(-slope - gamma) < kSigmas * slope_se);
  }
}

TEST_CASE("oversampled traces: Hann-windowed PSD level at mid frequencies") {
  // R = 512 of L = 4096. Hann periodogram values at k = 32..159 over N = 200 traces; neighbours
  // are correlated (ρ² = 4/9 at 1 bin, 1/36 at 2), so the mean's sd is sqrt(1.944/(N·K)) = 0.0062.
  // Window leakage at k ≥ 32 is below 1e-3 (γ(γ+1)/(6k²)). Tolerance: kSigmas·sd.
  const int n = 200;
  const Eigen::Index k_lo = 32, k_hi = 160;
  const TraceSpec spec{0.01, 1.2, 0.05, 512, 8};
  Eigen::ArrayXd hann(spec.num_reads);
  for (Eigen::Index j = 0; j < hann.size(); ++j)
    hann[j] = std::pow(std::sin(kPi * static_cast<double>(j) / 512.0), 2);
  Eigen::ArrayXd ratio_sum = Eigen::ArrayXd::Zero(k_hi - k_lo);
  const Eigen::ArrayXd f_Hz =
      Eigen::ArrayXd::LinSpaced(k_hi - k_lo, k_lo, k_hi - 1) / (512 * spec.dt_s);
  const Eigen::ArrayXd psd = spec.q_s * spec.q_s * pow_of(f_Hz, -spec.gamma);
  for (int i = 0; i < n; ++i)
    ratio_sum +=
        periodogram(sample_relative_trace(spec, 5, static_cast<std::uint64_t>(i)), hann, spec.dt_s)
            .segment(k_lo, k_hi - k_lo) /
        psd;
  const double k = static_cast<double>(k_hi - k_lo);
  CHECK(std::abs(ratio_sum.mean() / n - 1.0) < kSigmas * std::sqrt(1.944 / (n * k)));
}

TEST_CASE("traces are a pure function of seed and item") {
  const TraceSpec spec{0.02, 1.0, 0.1, 300, 3};  // odd L/2: Eigen's generic real FFT path
  const Eigen::ArrayXd a = sample_relative_trace(spec, 42, 3);
  CHECK(a.size() == 300);
  CHECK((a == sample_relative_trace(spec, 42, 3)).all());
  CHECK((a != sample_relative_trace(spec, 42, 4)).all());
  CHECK((a != sample_relative_trace(spec, 43, 3)).all());

  // Bit-identical whatever the thread count.
  const int n = 16;
  std::vector<Eigen::ArrayXd> parallel(n);
#pragma omp parallel for num_threads(4)
  for (int i = 0; i < n; ++i) parallel[i] = sample_relative_trace(spec, 9, 100 + i);
  for (int i = 0; i < n; ++i)
    CHECK(
        (parallel[i] == sample_relative_trace(spec, 9, 100 + static_cast<std::uint64_t>(i))).all());
}

TEST_CASE("boundary values: Q_s = 0 gives zeros, R = 2 works") {
  CHECK((sample_relative_trace(TraceSpec{0.0, 1.0, 0.1, 64, 8}, 1, 0) == 0.0).all());
  CHECK(sample_relative_trace(TraceSpec{0.1, 1.0, 0.1, 2, 1}, 1, 0).size() == 2);
}

TEST_CASE("Requires: spec fields out of range are InternalError") {
  const TraceSpec good{0.01, 1.0, 0.1, 64, 8};
  CHECK_NOTHROW(sample_relative_trace(good, 1, 0));
  auto with = [&](auto change) {
    TraceSpec s = good;
    change(s);
    return s;
  };
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.q_s = -0.1; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.q_s = NAN; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.gamma = 0.0; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.gamma = 3.0; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.dt_s = 0.0; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.num_reads = 1; }), 1, 0),
                  pcmkit::InternalError);
  CHECK_THROWS_AS(sample_relative_trace(with([](TraceSpec& s) { s.oversample = 0; }), 1, 0),
                  pcmkit::InternalError);
}
