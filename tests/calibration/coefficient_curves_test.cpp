#include "pcmkit/calibration/coefficient_curves.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace pcmkit::calibration;

namespace {

std::vector<CurvePoint> clipped_points(
    const std::vector<double>& u, double p0, double p1, double lo, double hi, double se) {
  std::vector<CurvePoint> p;
  for (double x : u) p.push_back({x, std::clamp(p0 + p1 * x, lo, hi), se});
  return p;
}

}  // namespace

TEST_CASE("noise-free clipped line: exact coefficients, both plateaus identified") {
  // The published μ_ν curve at 11 levels (u = ln x, x = 1e-7, 0.1, ..., 1).
  std::vector<double> u = {std::log(1e-7)};
  for (int i = 1; i <= 10; ++i) u.push_back(std::log(i / 10.0));
  const auto p = clipped_points(u, 0.0244, -0.0155, 0.049, 0.1, 1e-4);
  const CurveFit f = fit_clipped_line(p, {0.03, -0.01, 0.04, 0.2}, true);
  REQUIRE(f.coefficients.size() == 4);
  CHECK(f.coefficients[0].value == doctest::Approx(0.0244).epsilon(1e-8));
  CHECK(f.coefficients[1].value == doctest::Approx(-0.0155).epsilon(1e-8));
  CHECK(f.coefficients[2].value == doctest::Approx(0.049).epsilon(1e-10));
  CHECK(f.coefficients[3].value == doctest::Approx(0.1).epsilon(1e-10));
  for (const Estimate& e : f.coefficients) {
    CHECK(e.identified);
    CHECK(e.std_error > 0);
  }
  CHECK(f.chi2 == doctest::Approx(0.0).epsilon(1e-12));
}

TEST_CASE("no level on a plateau: that plateau is not identified and keeps its prior") {
  const std::vector<double> u = {std::log(0.1), std::log(0.2), std::log(0.5), std::log(1.0)};
  const auto p = clipped_points(u, 0.0244, -0.0155, 0.0, 1.0, 1e-4);  // line only
  const CurveFit f = fit_clipped_line(p, {0.03, -0.01, 0.001, 0.5}, true);
  CHECK(f.coefficients[0].identified);
  CHECK(f.coefficients[1].identified);
  CHECK_FALSE(f.coefficients[2].identified);
  CHECK_FALSE(f.coefficients[3].identified);
  CHECK(f.coefficients[2].value == 0.001);
  CHECK(f.coefficients[3].value == 0.5);
}

TEST_CASE("one level between the plateaus cannot fix the line") {
  std::vector<double> u = {std::log(1e-7), std::log(0.1)};
  for (int i = 3; i <= 10; ++i) u.push_back(std::log(i / 10.0));
  // Slope reaches μ_min before x = 0.3, so only x = 0.1 is on the line.
  const auto p = clipped_points(u, 0.0244, -0.0155, 0.0585, 0.1, 1e-4);
  const CurveFit f = fit_clipped_line(p, {0.0244, -0.0155, 0.05, 0.1}, true);
  CHECK_FALSE(f.coefficients[0].identified);
  CHECK_FALSE(f.coefficients[1].identified);
}

TEST_CASE("Huber loss: one wild level barely moves the quadratic") {
  std::vector<CurvePoint> p;
  for (int i = 0; i <= 10; ++i) {
    const double x = i / 10.0;
    p.push_back({x, 0.26348 + 1.965 * x - 1.1731 * x * x, 0.005});
  }
  p[5].value += 1.0;  // 200 standard errors off
  const CurveFit f = fit_quadratic(p, {0, 0, 0});
  CHECK(f.coefficients[0].value == doctest::Approx(0.26348).epsilon(0.05));
  CHECK(f.coefficients[1].value == doctest::Approx(1.965).epsilon(0.05));
}

TEST_CASE("quadratic with too few levels holds higher terms at the prior") {
  const std::vector<CurvePoint> p = {{0.2, 0.6, 0.01}, {0.8, 1.0, 0.01}};
  const CurveFit f = fit_quadratic(p, {0.1, 0.2, -0.7});
  CHECK(f.coefficients[0].identified);
  CHECK(f.coefficients[1].identified);
  CHECK_FALSE(f.coefficients[2].identified);
  CHECK(f.coefficients[2].value == -0.7);
}

TEST_CASE("no usable points") {
  const CurveFit f = fit_clipped_line({{0.0, NAN, 1.0}}, {1, -1, 0, 2}, true);
  for (const Estimate& e : f.coefficients) CHECK_FALSE(e.identified);
}
