#include "pcmkit/calibration/detail/folded_normal.h"

#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <numbers>

using namespace pcmkit::calibration;

namespace {

// E f(|Y|), Y ~ N(μ, σ²), by quadrature.
template <typename F>
double expect(double mu, double sigma, F f) {
  auto g = [&](double y) {
    const double z = (y - mu) / sigma;
    return f(std::abs(y)) * std::exp(-z * z / 2) / (sigma * std::sqrt(2 * std::numbers::pi));
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(g, mu - 12 * sigma,
                                                                       mu + 12 * sigma, 15, 1e-14);
}

}  // namespace

TEST_CASE("closed forms agree with quadrature") {
  for (auto [mu, sigma] : {std::pair{0.1, 0.045}, {0.05, 0.008}, {0.02, 0.03}, {0.0, 0.02}}) {
    INFO(mu << ", " << sigma);
    CHECK(folded_normal_mean(mu, sigma) ==
          doctest::Approx(expect(mu, sigma, [](double v) { return v; })).epsilon(1e-10));
    for (double l : {0.0, 1.0, 8.4, 16.0})
      CHECK(folded_normal_laplace(l, mu, sigma) == doctest::Approx(expect(mu, sigma, [&](double v) {
                                                     return std::exp(-l * v);
                                                   })).epsilon(1e-9));
  }
}

TEST_CASE("method of moments inverts the moments") {
  for (auto [mu, sigma] : {std::pair{0.1, 0.045}, {0.06, 0.023}, {0.049, 0.008}, {0.01, 0.02}}) {
    INFO(mu << ", " << sigma);
    const double m1 = folded_normal_mean(mu, sigma), m2 = mu * mu + sigma * sigma;
    const FoldedNormal f = folded_normal_from_moments(m1, m2);
    CHECK(f.mu == doctest::Approx(mu).epsilon(1e-7));
    CHECK(f.sigma == doctest::Approx(sigma).epsilon(1e-7));
  }
}

TEST_CASE("degenerate moments") {
  CHECK(folded_normal_from_moments(0.05, 0.05 * 0.05).sigma == 0.0);  // no spread
  CHECK(folded_normal_from_moments(0.01, 1.0).mu == 0.0);             // ratio below 2/π
}
