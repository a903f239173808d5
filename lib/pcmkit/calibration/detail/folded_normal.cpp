#include "pcmkit/calibration/detail/folded_normal.h"

#include <cmath>
#include <numbers>

#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

// E|Y|/σ as a function of r = μ/σ.
double scaled_mean(double r) {
  return std::sqrt(2.0 / std::numbers::pi) * std::exp(-r * r / 2) +
         r * (1 - 2 * standard_normal_cdf(-r));
}

// (E|Y|)²/E Y², increasing from 2/π at r = 0 towards 1.
double moment_ratio(double r) {
  const double h = scaled_mean(r);
  return h * h / (1 + r * r);
}

}  // namespace

double standard_normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

double folded_normal_mean(double mu, double sigma) {
  if (sigma <= 0) return std::abs(mu);
  return sigma * scaled_mean(mu / sigma);
}

double folded_normal_laplace(double l, double mu, double sigma) {
  if (sigma <= 0) return std::exp(-l * std::abs(mu));
  const double s2 = sigma * sigma;
  const double pos =
      std::exp(-l * mu + l * l * s2 / 2) * standard_normal_cdf((mu - l * s2) / sigma);
  const double neg =
      std::exp(l * mu + l * l * s2 / 2) * standard_normal_cdf(-(mu + l * s2) / sigma);
  return pos + neg;
}

FoldedNormal folded_normal_from_moments(double m1, double m2) {
  PCMKIT_CHECK(m1 > 0 && m2 > 0, "folded normal moments must be positive");
  const double target = m1 * m1 / m2;
  if (target >= 1) return {m1, 0.0};
  if (target <= 2 / std::numbers::pi) return {0.0, std::sqrt(m2)};
  // Beyond r = 40 folding is invisible in double precision: E|Y| = μ.
  double lo = 0, hi = 40;
  if (moment_ratio(hi) <= target) {
    const double sigma = std::sqrt(m2 - m1 * m1);
    return {m1, sigma};
  }
  for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (moment_ratio(mid) < target ? lo : hi) = mid;
  }
  const double r = 0.5 * (lo + hi);
  const double sigma = std::sqrt(m2 / (1 + r * r));
  return {r * sigma, sigma};
}

}  // namespace pcmkit::calibration
