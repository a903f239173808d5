#include "pcmkit/calibration/detail/drift_regression.h"

#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <numbers>

#include "pcmkit/core/random_stream.h"

using namespace pcmkit;
using namespace pcmkit::calibration;

namespace {

// E[ln(1 + sξ)^k] by adaptive quadrature over ξ > −1/s (the reads a regression can use).
double log_moment(double s, int k) {
  auto f = [&](double xi) {
    const double l = std::log1p(s * xi);
    return std::pow(l, k) * std::exp(-xi * xi / 2) / std::sqrt(2 * std::numbers::pi);
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, -1 / s + 1e-12, 12.0, 15,
                                                                       1e-14);
}

}  // namespace

TEST_CASE("log-read bias and variance series agree with quadrature for s <= 0.25") {
  for (double s : {0.01, 0.05, 0.1, 0.2, 0.25}) {
    INFO("s = " << s);
    const double mean = log_moment(s, 1);
    const double var = log_moment(s, 2) - mean * mean;
    // Series truncation error is O(s⁸): relative 1e-3 at s = 0.25, far less below.
    CHECK(log_read_bias(s) == doctest::Approx(mean).epsilon(2e-3));
    CHECK(log_read_variance(s) == doctest::Approx(var).epsilon(2e-3));
  }
}

TEST_CASE("noise-free reads give the exact drift line") {
  Eigen::ArrayXd log_t = Eigen::ArrayXd::LinSpaced(20, 0.2, 8.4);
  const double g_prog = 12.0, nu = 0.06;
  const Eigen::ArrayXd g = g_prog * (-nu * log_t).exp();
  const Eigen::ArrayXd s = Eigen::ArrayXd::Zero(20);  // v(0) = 0 would divide by zero: use tiny
  const DriftRegression r = fit_device_drift(log_t, g, s + 1e-6);
  REQUIRE(r.ok);
  CHECK(r.num_reads == 20);
  CHECK(std::exp(r.log_g_prog) == doctest::Approx(g_prog).epsilon(1e-9));
  CHECK(r.drift_exponent == doctest::Approx(nu).epsilon(1e-9));
}

TEST_CASE("missing, zero and too few reads") {
  Eigen::ArrayXd log_t = Eigen::ArrayXd::LinSpaced(5, 0.2, 8.4);
  Eigen::ArrayXd g(5);
  g << 10, NAN, 0.0, 9, 8.5;
  const Eigen::ArrayXd s = Eigen::ArrayXd::Constant(5, 0.05);
  const DriftRegression r = fit_device_drift(log_t, g, s);
  CHECK(r.num_reads == 3);
  CHECK(r.ok);
  g[4] = NAN;
  CHECK_FALSE(fit_device_drift(log_t, g, s).ok);
}

TEST_CASE("regression estimates are unbiased and their variances are right (Monte Carlo)") {
  // N = 20000 devices with s ≈ 0.2 (the noisiest uncensored level): the mean of ν̂ is within
  // 5 standard errors of ν, and the empirical variance within 5 s.e. of the reported one
  // (s.e. of a variance estimate: var·sqrt(2/N)).
  const int n = 20000, t = 20;
  const Eigen::ArrayXd log_t = Eigen::ArrayXd::LinSpaced(t, 0.22, 8.37);
  const Eigen::ArrayXd s = 0.16 + 0.04 * Eigen::ArrayXd::LinSpaced(t, 0, 1);
  const double g_prog = 2.5, nu = 0.06;
  const CounterRng rng(42, RandomStream::kUser);
  double sum = 0, sum2 = 0, reported = 0;
  for (int i = 0; i < n; ++i) {
    Eigen::ArrayXd g(t);
    for (int j = 0; j < t; ++j)
      g[j] = g_prog * std::exp(-nu * log_t[j]) * (1 + s[j] * rng.normal(i, j));
    const DriftRegression r = fit_device_drift(log_t, g, s);
    sum += r.drift_exponent;
    sum2 += r.drift_exponent * r.drift_exponent;
    reported += r.var_drift_exponent;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean, var_reported = reported / n;
  CHECK(std::abs(mean - nu) < 5 * std::sqrt(var / n));
  CHECK(std::abs(var - var_reported) < 5 * var_reported * std::sqrt(2.0 / n));
}
