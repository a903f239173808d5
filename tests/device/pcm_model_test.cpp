// The device sampler (device_population.h) against the equations of pcm_model.h, and
// PcmModel::validate. Reference values are computed here from the equations, not from the
// library's helper functions: censored-normal moments for G_prog and reads, the folded normal for
// ν (chi-square against Boost.Math), and Gauss-Kronrod quadrature for the read-noise band.
// Statistical checks use fixed seeds; each states N and the σ multiple of its tolerance.
#include "pcmkit/device/pcm_model.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/device/device_population.h"

namespace pcmkit::device {
namespace {

constexpr double kSigmas = 5.0;           // tolerance multiple of every mean/variance check
constexpr double kChiSquareAlpha = 1e-6;  // false-alarm rate of every chi-square test (~5 σ)
constexpr double kDay_s = 86400.0;
constexpr std::uint64_t kSeed = 20190527;
// exp(−ν·ln(t/t0)) and pow(t/t0, −ν) round differently; a few ulp apart at most.
constexpr double kDriftRelTol = 1e-14;
// Quadrature of a smooth exponential in ln f; far tighter than any statistical check.
constexpr double kQuadratureRelTol = 1e-10;

const boost::math::normal_distribution<double> kStdNormal;

double phi(double z) { return boost::math::pdf(kStdNormal, z); }
double big_phi(double z) { return boost::math::cdf(kStdNormal, z); }

// Moments of Y = max(0, m + s·Z), Z standard normal (a normal censored at 0).
struct Moments {
  double mean, variance, fourth_central;
};

Moments censored_normal(double m, double s) {
  double raw[5];  // E[Y^k]
  if (s == 0) {
    for (int k = 0; k < 5; ++k) raw[k] = m > 0 ? std::pow(m, k) : (k == 0 ? 1.0 : 0.0);
  } else {
    // J_j = E[Z^j; Z > a] with a = −m/s: J_0 = 1 − Φ(a), J_1 = φ(a),
    // J_j = a^(j−1)·φ(a) + (j−1)·J_(j−2) (integration by parts).
    const double a = -m / s;
    double j_part[5] = {boost::math::cdf(boost::math::complement(kStdNormal, a)), phi(a)};
    for (int j = 2; j < 5; ++j) j_part[j] = std::pow(a, j - 1) * phi(a) + (j - 1) * j_part[j - 2];
    const double binom[5][5] = {{1}, {1, 1}, {1, 2, 1}, {1, 3, 3, 1}, {1, 4, 6, 4, 1}};
    for (int k = 0; k < 5; ++k) {
      raw[k] = 0;
      for (int j = 0; j <= k; ++j)
        raw[k] += binom[k][j] * std::pow(m, k - j) * std::pow(s, j) * j_part[j];
    }
  }
  const double mu = raw[1];
  return {mu, raw[2] - mu * mu,
          raw[4] - 4 * mu * raw[3] + 6 * mu * mu * raw[2] - 3 * mu * mu * mu * mu};
}

double sample_mean(const Eigen::ArrayXd& v) { return v.mean(); }
double sample_variance(const Eigen::ArrayXd& v) {
  return (v - v.mean()).square().sum() / static_cast<double>(v.size() - 1);
}

// Checks the sample mean and variance of v against exact moments at kSigmas standard errors:
// SE(mean) = sqrt(var/N), SE(variance) = sqrt((μ4 − var²)/N).
void check_moments(const Eigen::ArrayXd& v, const Moments& want) {
  const double n = static_cast<double>(v.size());
  CHECK(std::abs(sample_mean(v) - want.mean) <= kSigmas * std::sqrt(want.variance / n));
  const double se_var =
      std::sqrt(std::max(want.fourth_central - want.variance * want.variance, 0.0) / n);
  CHECK(std::abs(sample_variance(v) - want.variance) <= kSigmas * se_var);
}

// Pearson chi-square of v over the bins [edges[k], edges[k+1]) with probabilities from cdf.
// Passes when the statistic is below the (1 − kChiSquareAlpha) quantile of χ²(bins − 1).
void check_chi_square(const Eigen::ArrayXd& v,
                      const std::vector<double>& edges,
                      const std::function<double(double)>& cdf) {
  const std::size_t bins = edges.size() - 1;
  std::vector<double> count(bins, 0.0);
  for (const double x : v) {
    const auto it = std::upper_bound(edges.begin() + 1, edges.end() - 1, x);
    count[static_cast<std::size_t>(it - (edges.begin() + 1))] += 1;
  }
  double chi2 = 0;
  const double n = static_cast<double>(v.size());
  for (std::size_t k = 0; k < bins; ++k) {
    const double expected = n * (cdf(edges[k + 1]) - cdf(edges[k]));
    chi2 += (count[k] - expected) * (count[k] - expected) / expected;
  }
  const boost::math::chi_squared_distribution<double> dist(static_cast<double>(bins - 1));
  const double limit = boost::math::quantile(boost::math::complement(dist, kChiSquareAlpha));
  INFO("chi2 = " << chi2 << ", limit = " << limit);
  CHECK(chi2 < limit);
}

// The independent reference for a level: the equations of pcm_model.h written out again.
double ref_x(const PcmModel& m, double g_t) { return std::max(g_t / m.g_max_uS, m.x_floor); }
double ref_sigma_prog(const PcmModel& m, double g_t) {
  const double x = g_t / m.g_max_uS;  // aihwkit evaluates the polynomial without the floor
  const ProgrammingNoise& p = m.programming_noise;
  return std::max(0.0, p.c0_uS + p.c1_uS * x + p.c2_uS * x * x);
}
double ref_mu_nu(const PcmModel& m, double g_t) {
  const DriftExponent& d = m.drift_exponent;
  return std::clamp(d.a0 + d.a1 * std::log(ref_x(m, g_t)), d.mu_min, d.mu_max);
}
double ref_sigma_nu(const PcmModel& m, double g_t) {
  const DriftExponent& d = m.drift_exponent;
  return std::clamp(d.b0 + d.b1 * std::log(ref_x(m, g_t)), d.sigma_min, d.sigma_max);
}
double ref_q_s(const PcmModel& m, double g_t) {
  return std::min(m.read_noise.q0 * std::pow(ref_x(m, g_t), -m.read_noise.alpha),
                  m.read_noise.q_max);
}
// ∫ f^(−γ) df over [1/(t + t_read), 1/(2·t_read)], integrated numerically in u = ln f.
double quadrature_band(const PcmModel& m, double t_s) {
  const double u_lo = std::log(1.0 / (t_s + m.t_read_s)), u_hi = std::log(1.0 / (2 * m.t_read_s));
  const double g = m.read_noise.gamma;
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
      [g](double u) { return std::exp((1.0 - g) * u); }, u_lo, u_hi, 15, 1e-14);
}

DevicePopulation program_level(const PcmModel& m, double g_t, Eigen::Index n, std::uint64_t item) {
  return program_devices(m, Eigen::ArrayXd::Constant(n, g_t), kSeed, item);
}

bool same_bits(const Eigen::ArrayXd& a, const Eigen::ArrayXd& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

TEST_CASE("G_prog per level is the normal N(G_T, sigma_prog^2) censored at 0") {
  // N = 200000 per level; mean and variance at 5 standard errors (check_moments).
  const PcmModel m = PcmModel::published();
  constexpr Eigen::Index kN = 200000;
  const std::vector<double> levels = {0.0, 0.25, 1.0, 5.0, 12.5, 25.0};
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const double g_t = levels[i];
    CAPTURE(g_t);
    const double s = ref_sigma_prog(m, g_t);
    CHECK(m.sigma_prog_uS(g_t) == doctest::Approx(s).epsilon(1e-14));
    const DevicePopulation d = program_level(m, g_t, kN, i * kN);
    CHECK((d.g_prog_uS >= 0).all());
    check_moments(d.g_prog_uS, censored_normal(g_t, s));
  }
}

TEST_CASE("G_T = 0: G_prog = max(0, c0*xi) is half-normal with a point mass 1/2 at 0") {
  // N = 200000; P(0) = 1/2 at 5 binomial standard errors, mean at 5 standard errors.
  const PcmModel m = PcmModel::published();
  constexpr Eigen::Index kN = 200000;
  const double s = m.programming_noise.c0_uS;
  const DevicePopulation d = program_level(m, 0.0, kN, 7 * kN);
  const double p_zero = static_cast<double>((d.g_prog_uS == 0.0).count()) / kN;
  CHECK(std::abs(p_zero - 0.5) <= kSigmas * std::sqrt(0.25 / kN));
  const double half_normal_mean = s / std::sqrt(2 * std::numbers::pi);
  const double half_normal_var = s * s / 2 - half_normal_mean * half_normal_mean;
  CHECK(censored_normal(0.0, s).mean == doctest::Approx(half_normal_mean).epsilon(1e-14));
  CHECK(std::abs(sample_mean(d.g_prog_uS) - half_normal_mean) <=
        kSigmas * std::sqrt(half_normal_var / kN));
}

TEST_CASE("drift exponent follows the folded normal |N(mu_nu, sigma_nu^2)|") {
  // N = 100000 per case, 20 bins at the folded normal's 5%-quantiles, chi-square at
  // alpha = 1e-6; mean at 5 standard errors. The last case folds a third of its mass.
  constexpr Eigen::Index kN = 100000;
  constexpr int kBins = 20;
  PcmModel folded = PcmModel::published();
  folded.drift_exponent = {0.01, 0.0, 0.0, 1.0, 0.03, 0.0, 0.0, 1.0};  // μ = 0.01, σ = 0.03
  folded.validate("test");
  struct Case {
    PcmModel model;
    double g_t;
  };
  const PcmModel pub = PcmModel::published();
  const std::vector<Case> cases = {{pub, 25.0}, {pub, 0.25}, {pub, 0.0}, {folded, 10.0}};
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const PcmModel& m = cases[c].model;
    const double g_t = cases[c].g_t;
    const double mu = ref_mu_nu(m, g_t), s = ref_sigma_nu(m, g_t);
    CAPTURE(g_t);
    CAPTURE(mu);
    CAPTURE(s);
    CHECK(m.mu_nu(g_t) == doctest::Approx(mu).epsilon(1e-14));
    CHECK(m.sigma_nu(g_t) == doctest::Approx(s).epsilon(1e-14));
    const auto cdf = [mu, s](double v) {
      return v <= 0 ? 0.0 : big_phi((v - mu) / s) - big_phi((-v - mu) / s);
    };
    // Quantiles by bisection; the chi-square uses cdf at the edges, so they need not be exact.
    std::vector<double> edges = {0.0};
    for (int k = 1; k < kBins; ++k) {
      double lo = 0, hi = std::abs(mu) + 40 * s;
      for (int it = 0; it < 200; ++it) {
        const double mid = 0.5 * (lo + hi);
        (cdf(mid) < static_cast<double>(k) / kBins ? lo : hi) = mid;
      }
      edges.push_back(0.5 * (lo + hi));
    }
    edges.push_back(std::numeric_limits<double>::infinity());
    const auto cdf_inf = [&cdf](double v) { return std::isinf(v) ? 1.0 : cdf(v); };

    const DevicePopulation d = program_level(m, g_t, kN, 100 * kN + c * kN);
    CHECK((d.drift_exponent >= 0).all());
    check_chi_square(d.drift_exponent, edges, cdf_inf);
    const double mean = s * std::sqrt(2 / std::numbers::pi) * std::exp(-mu * mu / (2 * s * s)) +
                        mu * (1 - 2 * big_phi(-mu / s));
    const double var = mu * mu + s * s - mean * mean;
    CHECK(std::abs(sample_mean(d.drift_exponent) - mean) <= kSigmas * std::sqrt(var / kN));
  }
}

TEST_CASE("drift: G_d(t) = G_prog (t/t0)^-nu for one device — none at t = t0") {
  const PcmModel m = PcmModel::published();
  const DevicePopulation d = program_level(m, 10.0, 1, 3);
  REQUIRE(d.g_prog_uS.size() == 1);
  CHECK(d.drift_exponent[0] > 0);
  CHECK(drifted_conductance_uS(m, d, m.t0_s)[0] == d.g_prog_uS[0]);  // exact: exp(−ν·0) = 1
  for (const double t_s : {20.000001, 25.0, 1e3, kDay_s, 365.25 * kDay_s, 1e9}) {
    CAPTURE(t_s);
    const double want = d.g_prog_uS[0] * std::pow(t_s / m.t0_s, -d.drift_exponent[0]);
    CHECK(std::abs(drifted_conductance_uS(m, d, t_s)[0] - want) <= kDriftRelTol * want);
  }
}

TEST_CASE("read noise band: closed forms and quadrature — zero when the band is empty") {
  PcmModel m = PcmModel::published();
  for (const double t_s : {m.t0_s, 25.0, kDay_s}) {
    CAPTURE(t_s);
    const double band = std::log((t_s + m.t_read_s) / (2 * m.t_read_s));
    CHECK(m.read_noise_band(t_s) == doctest::Approx(band).epsilon(1e-14));
    CHECK(m.read_noise_band(t_s) ==
          doctest::Approx(quadrature_band(m, t_s)).epsilon(kQuadratureRelTol));
    for (const double g_t : {0.0, 2.5, 25.0})
      CHECK(m.sigma_read_rel(g_t, t_s) ==
            doctest::Approx(ref_q_s(m, g_t) * std::sqrt(band)).epsilon(1e-14));
  }
  CHECK(m.read_noise_band(0.0) == 0.0);  // f_lo = 1/t_read > f_hi = 1/(2 t_read)
  CHECK(m.read_noise_band(m.t_read_s) == 0.0);
  for (const double gamma : {0.3, 0.7, 1.5, 2.5}) {
    m.read_noise.gamma = gamma;
    for (const double t_s : {25.0, kDay_s}) {
      CAPTURE(gamma);
      CAPTURE(t_s);
      const double f_lo = 1 / (t_s + m.t_read_s), f_hi = 1 / (2 * m.t_read_s);
      const double band = (std::pow(f_hi, 1 - gamma) - std::pow(f_lo, 1 - gamma)) / (1 - gamma);
      CHECK(m.read_noise_band(t_s) == doctest::Approx(band).epsilon(1e-13));
      CHECK(m.read_noise_band(t_s) ==
            doctest::Approx(quadrature_band(m, t_s)).epsilon(kQuadratureRelTol));
    }
  }
  // Continuous through γ = 1: the band changes by about 6·|γ − 1| relative at 25 s.
  m.read_noise.gamma = 1.0;
  const double at_one = m.read_noise_band(25.0);
  m.read_noise.gamma = 1.0 + 1e-8;
  CHECK(m.read_noise_band(25.0) == doctest::Approx(at_one).epsilon(1e-6));
}

// Var(G(t)/G_d(t) − 1) at one level against the censored normal max(−1, σ_r·ξ), i.e. the
// moments of max(0, 1 + σ_r·ξ), with σ_r² = Q_s²·band written out from the header.
void check_read_variance(
    const PcmModel& m, double g_t, double t_s, double band, std::uint64_t item) {
  // N = 200000 devices; variance at 5 standard errors (check_moments).
  constexpr Eigen::Index kN = 200000;
  CAPTURE(g_t);
  CAPTURE(t_s);
  const double sigma_r = ref_q_s(m, g_t) * std::sqrt(band);
  const DevicePopulation d = program_level(m, g_t, kN, item);
  const Eigen::ArrayXd g_d = drifted_conductance_uS(m, d, t_s);
  const Eigen::ArrayXd g = read_conductance_uS(m, d, t_s, kSeed, 4);
  CHECK((g >= 0).all());
  CHECK(((g_d > 0) || (g == 0)).all());  // G_d = 0 reads 0
  std::vector<double> rel;
  for (Eigen::Index i = 0; i < kN; ++i)
    if (g_d[i] > 0) rel.push_back(g[i] / g_d[i]);  // 1 + max(−1, σ_r·ξ)
  REQUIRE(rel.size() > kN / 2);
  const Eigen::ArrayXd r = Eigen::Map<const Eigen::ArrayXd>(rel.data(), std::ssize(rel));
  check_moments(r, censored_normal(1.0, sigma_r));
}

TEST_CASE("read variance against time, gamma = 1: sigma_r^2 = Q_s^2 ln((t + t_read)/(2 t_read))") {
  const PcmModel m = PcmModel::published();
  std::uint64_t item = 1000000;
  for (const double g_t : {25.0, 2.5})
    for (const double t_s : {m.t0_s, 25.0, kDay_s}) {
      check_read_variance(m, g_t, t_s, std::log((t_s + m.t_read_s) / (2 * m.t_read_s)), item);
      item += 200000;
    }
}

TEST_CASE("read variance, gamma != 1: sigma_r^2 = Q_s^2 (f_hi^(1-g) - f_lo^(1-g))/(1-g)") {
  PcmModel m = PcmModel::published();
  std::uint64_t item = 3000000;
  for (const double gamma : {0.6, 1.5})
    for (const double t_s : {25.0, kDay_s}) {
      m.read_noise.gamma = gamma;
      CAPTURE(gamma);
      const double f_lo = 1 / (t_s + m.t_read_s), f_hi = 1 / (2 * m.t_read_s);
      check_read_variance(m, 25.0, t_s,
                          (std::pow(f_hi, 1 - gamma) - std::pow(f_lo, 1 - gamma)) / (1 - gamma),
                          item);
      item += 200000;
    }
}

TEST_CASE("reads are censored at 0: P(G = 0 | G_d > 0) = Phi(-1/sigma_r)") {
  // Q_s reaches q_max = 0.2 at x = 0.001, so σ_r(1 day) ≈ 1 and a sixth of the reads clip.
  // N = 200000 devices at G_T = 0.025 µS (about half have G_prog > 0); P(0) at 5 binomial SE,
  // moments via check_read_variance.
  const PcmModel m = PcmModel::published();
  constexpr Eigen::Index kN = 200000;
  const double band = std::log((kDay_s + m.t_read_s) / (2 * m.t_read_s));
  const double sigma_r = ref_q_s(m, 0.025) * std::sqrt(band);
  CHECK(ref_q_s(m, 0.025) == m.read_noise.q_max);
  const DevicePopulation d = program_level(m, 0.025, kN, 5000000);
  const Eigen::ArrayXd g_d = drifted_conductance_uS(m, d, kDay_s);
  const Eigen::ArrayXd g = read_conductance_uS(m, d, kDay_s, kSeed, 0);
  const double n_live = static_cast<double>((g_d > 0).count());
  const double n_zero = static_cast<double>(((g_d > 0) && (g == 0)).count());
  const double p = big_phi(-1 / sigma_r);
  CHECK(std::abs(n_zero / n_live - p) <= kSigmas * std::sqrt(p * (1 - p) / n_live));
  check_read_variance(m, 0.025, kDay_s, band, 5000000);
}

TEST_CASE("reads and drift before t0 throw InputError naming time_s") {
  const PcmModel m = PcmModel::published();
  const DevicePopulation d = program_level(m, 10.0, 3, 0);
  for (const double t_s : {0.0, 19.999, -1.0, std::nan("")}) {
    CAPTURE(t_s);
    CHECK_THROWS_AS(drifted_conductance_uS(m, d, t_s), InputError);
    try {
      read_conductance_uS(m, d, t_s, kSeed, 0);
      FAIL("no exception");
    } catch (const InputError& e) {
      CHECK(e.field() == "time_s");
    }
  }
  CHECK_NOTHROW(read_conductance_uS(m, d, m.t0_s, kSeed, 0));
}

TEST_CASE("program_devices rejects negative or non-finite targets") {
  const PcmModel m = PcmModel::published();
  for (const double bad : {-1e-12, std::nan(""), std::numeric_limits<double>::infinity()}) {
    Eigen::ArrayXd g_t = Eigen::ArrayXd::Constant(4, 5.0);
    g_t[2] = bad;
    CHECK_THROWS_AS(program_devices(m, g_t, kSeed), InternalError);
  }
}

TEST_CASE("reproducible: same seed same bits, other seed differs, 1 and 2 threads agree") {
  const PcmModel m = PcmModel::published();
  // Odd size: uneven thread chunks and a SIMD remainder. G_T ≥ 5 µS: no read is clipped to 0.
  const Eigen::ArrayXd g_t = Eigen::ArrayXd::LinSpaced(10001, 5.0, 25.0);
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(1);
  const DevicePopulation a = program_devices(m, g_t, kSeed, 5);
  const Eigen::ArrayXd read_a = read_conductance_uS(m, a, kDay_s, kSeed, 9);
  omp_set_num_threads(2);
  const DevicePopulation b = program_devices(m, g_t, kSeed, 5);
  const Eigen::ArrayXd read_b = read_conductance_uS(m, b, kDay_s, kSeed, 9);
  omp_set_num_threads(threads_before);
  CHECK(same_bits(a.g_prog_uS, b.g_prog_uS));
  CHECK(same_bits(a.drift_exponent, b.drift_exponent));
  CHECK(same_bits(read_a, read_b));
  CHECK(same_bits(read_a, read_conductance_uS(m, a, kDay_s, kSeed, 9)));

  const DevicePopulation other = program_devices(m, g_t, kSeed + 1, 5);
  CHECK((other.g_prog_uS != a.g_prog_uS).all());
  CHECK((other.drift_exponent != a.drift_exponent).all());
  CHECK((read_conductance_uS(m, a, kDay_s, kSeed + 1, 9) != read_a).all());
  CHECK((read_conductance_uS(m, a, kDay_s, kSeed, 10) != read_a).all());  // another read

  // Device i is item first_item + i: any slice programmed on its own gives the same bits,
  // wherever the slice falls against SIMD packets and thread chunks.
  const Eigen::ArrayXd drift_a = drifted_conductance_uS(m, a, kDay_s);
  for (const Eigen::Index start : {0, 1, 3, 7, 5000, 9900, 9990})
    for (const Eigen::Index len : {1, 3, 5, 8, 11}) {
      CAPTURE(start);
      CAPTURE(len);
      const DevicePopulation part =
          program_devices(m, g_t.segment(start, len), kSeed, 5 + static_cast<std::uint64_t>(start));
      CHECK(same_bits(part.g_prog_uS, a.g_prog_uS.segment(start, len)));
      CHECK(same_bits(part.drift_exponent, a.drift_exponent.segment(start, len)));
      CHECK(same_bits(drifted_conductance_uS(m, part, kDay_s), drift_a.segment(start, len)));
      CHECK(same_bits(read_conductance_uS(m, part, kDay_s, kSeed, 9), read_a.segment(start, len)));
    }
}

TEST_CASE("boundaries: one device, no devices, G_T = G_max") {
  const PcmModel m = PcmModel::published();
  const Eigen::ArrayXd g_t = Eigen::ArrayXd::LinSpaced(8, 0.0, m.g_max_uS);
  const DevicePopulation many = program_devices(m, g_t, kSeed);
  const DevicePopulation one = program_devices(m, g_t.tail(1), kSeed, 7);
  CHECK(same_bits(one.g_prog_uS, many.g_prog_uS.tail(1)));
  CHECK(same_bits(read_conductance_uS(m, one, 25.0, kSeed, 0),
                  read_conductance_uS(m, many, 25.0, kSeed, 0).tail(1)));

  const DevicePopulation none = program_devices(m, Eigen::ArrayXd(0), kSeed);
  CHECK(none.g_prog_uS.size() == 0);
  CHECK(none.drift_exponent.size() == 0);
  CHECK(read_conductance_uS(m, none, 25.0, kSeed, 0).size() == 0);

  // G_T = G_max: x = 1, ln x = 0, so μ_ν and σ_ν are the clipped intercepts.
  CHECK(m.x(m.g_max_uS) == 1.0);
  CHECK(m.x(0.0) == m.x_floor);
  const DriftExponent& de = m.drift_exponent;
  CHECK(m.mu_nu(m.g_max_uS) == std::clamp(de.a0, de.mu_min, de.mu_max));
  CHECK(m.sigma_nu(m.g_max_uS) == std::clamp(de.b0, de.sigma_min, de.sigma_max));
  CHECK(m.q_s(m.g_max_uS) == m.read_noise.q0);
  const ProgrammingNoise& p = m.programming_noise;
  CHECK(m.sigma_prog_uS(m.g_max_uS) == doctest::Approx(p.c0_uS + p.c1_uS + p.c2_uS));
}

TEST_CASE("validate accepts the published model and names each invalid field") {
  const PcmModel good = PcmModel::published();
  CHECK_NOTHROW(good.validate("published"));
  struct Bad {
    std::string field;
    std::function<void(PcmModel&)> spoil;
  };
  const double nan = std::nan("");
  const std::vector<Bad> cases = {
      {"g_max_uS", [](PcmModel& m) { m.g_max_uS = 0; }},
      {"g_max_uS", [](PcmModel& m) { m.g_max_uS = -25; }},
      {"g_max_uS", [nan](PcmModel& m) { m.g_max_uS = nan; }},
      {"t0_s", [](PcmModel& m) { m.t0_s = 0; }},
      {"t0_s", [](PcmModel& m) { m.t0_s = std::numeric_limits<double>::infinity(); }},
      {"t_read_s", [](PcmModel& m) { m.t_read_s = m.t0_s; }},
      {"t_read_s", [](PcmModel& m) { m.t_read_s = 30; }},
      {"t_read_s", [](PcmModel& m) { m.t_read_s = 0; }},
      {"x_floor", [](PcmModel& m) { m.x_floor = 0; }},
      {"x_floor", [](PcmModel& m) { m.x_floor = 1; }},
      {"drift_exponent.mu_min", [](PcmModel& m) { m.drift_exponent.mu_min = -0.01; }},
      {"drift_exponent.mu_max", [](PcmModel& m) { m.drift_exponent.mu_max = 0.04; }},
      {"drift_exponent.mu_max", [](PcmModel& m) { m.drift_exponent.mu_max = 1.5; }},
      {"drift_exponent.sigma_min", [](PcmModel& m) { m.drift_exponent.sigma_min = -0.01; }},
      {"drift_exponent.sigma_max", [](PcmModel& m) { m.drift_exponent.sigma_max = 0.001; }},
      {"drift_exponent.sigma_max", [](PcmModel& m) { m.drift_exponent.sigma_max = 2; }},
      {"read_noise.q0", [](PcmModel& m) { m.read_noise.q0 = -0.1; }},
      {"read_noise.q_max", [](PcmModel& m) { m.read_noise.q_max = -0.1; }},
      {"read_noise.q_max", [](PcmModel& m) { m.read_noise.q_max = 11; }},
      {"read_noise.alpha", [](PcmModel& m) { m.read_noise.alpha = -11; }},
      {"read_noise.gamma", [](PcmModel& m) { m.read_noise.gamma = 0; }},
      {"read_noise.gamma", [](PcmModel& m) { m.read_noise.gamma = 3; }},
      {"read_noise.gamma", [](PcmModel& m) { m.read_noise.gamma = 5; }},
      {"read_noise.gamma", [](PcmModel& m) { m.read_noise.gamma = -1; }},
  };
  std::vector<Bad> all = cases;
  PcmModel probe = good;
  for (const Coefficient& c : coefficients(probe)) {  // every coefficient NaN, then infinite
    const std::string name = c.name;
    all.push_back({name, [name, nan](PcmModel& m) {
                     for (Coefficient& k : coefficients(m))
                       if (k.name == name) *k.value = nan;
                   }});
    all.push_back({name, [name](PcmModel& m) {
                     for (Coefficient& k : coefficients(m))
                       if (k.name == name) *k.value = -std::numeric_limits<double>::infinity();
                   }});
  }
  for (const Bad& bad : all) {
    CAPTURE(bad.field);
    PcmModel m = good;
    bad.spoil(m);
    try {
      m.validate("model.json");
      FAIL("no exception");
    } catch (const InputError& e) {
      CHECK(e.field() == bad.field);
      CHECK(e.file() == "model.json");
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace pcmkit::device
