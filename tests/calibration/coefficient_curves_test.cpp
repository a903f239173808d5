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

TEST_CASE("one level between the plateaus: the exported curve still passes through every level") {
  std::vector<double> u = {std::log(1e-7), std::log(0.1)};
  for (int i = 3; i <= 10; ++i) u.push_back(std::log(i / 10.0));
  // Slope reaches μ_min before x = 0.3, so only x = 0.1 is on the line.
  const auto p = clipped_points(u, 0.0244, -0.0155, 0.0585, 0.1, 1e-4);
  const CurveFit f = fit_clipped_line(p, {0.0244, -0.0155, 0.05, 0.1}, true);
  for (const CurvePoint& q : p) {
    const auto& c = f.coefficients;
    CHECK(std::clamp(c[0].value + c[1].value * q.x, c[2].value, c[3].value) ==
          doctest::Approx(q.value).epsilon(1e-3));
  }
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

TEST_CASE("quadratic with too few levels: the higher terms are 0, not the prior's") {
  const std::vector<CurvePoint> p = {{0.2, 0.6, 0.01}, {0.8, 1.0, 0.01}};
  const CurveFit f = fit_quadratic(p, {0.1, 0.2, -0.7});
  CHECK(f.coefficients[0].identified);
  CHECK(f.coefficients[1].identified);
  CHECK_FALSE(f.coefficients[2].identified);
  CHECK(f.coefficients[2].value == 0.0);
  CHECK_FALSE(f.coefficients[2].rule.empty());
  // The line through both levels, whatever the prior said.
  CHECK(f.coefficients[1].value == doctest::Approx(0.4 / 0.6).epsilon(1e-6));
  CHECK(f.coefficients[0].value == doctest::Approx(0.6 - 0.2 * 0.4 / 0.6).epsilon(1e-6));
  CHECK(f.chi2 == doctest::Approx(0.0).scale(1.0).epsilon(1e-10));
  CHECK(f.shape == "line (2 levels)");
}

namespace {

double clipped(const CurveFit& f, double u) {
  const auto& c = f.coefficients;
  return std::clamp(c[0].value + c[1].value * u, c[2].value, c[3].value);
}

// Every level's estimate within `k` of its standard errors of the exported curve.
bool curve_matches_levels(const CurveFit& f, const std::vector<CurvePoint>& p, double k) {
  for (const CurvePoint& q : p)
    if (std::abs(clipped(f, q.x) - q.value) > k * q.std_error) return false;
  return true;
}

// 13 levels (x = 0 at the floor, then 1/12 .. 1) with a constant value plus ±1 s.e. scatter.
std::vector<CurvePoint> constant_levels(double value, double se) {
  std::vector<CurvePoint> p = {{std::log(1e-7), value + 0.5 * se, se}};
  for (int i = 1; i <= 12; ++i) p.push_back({std::log(i / 12.0), value + ((i % 3) - 1) * se, se});
  return p;
}

}  // namespace

TEST_CASE("constant levels export a constant curve, whatever the prior's slope") {
  // Issue #15: σ_ν 0.0093 at every level, prior sloped from 0.045 down to 0.008.
  const auto p = constant_levels(0.0093, 0.0003);
  for (const std::vector<double>& prior : {std::vector<double>{-0.0059, -0.0125, 0.008, 0.045},
                                           {0.02, -0.001, 0.0, 0.5},
                                           {0.0244, -0.0155, 0.049, 0.1}}) {
    const CurveFit f = fit_clipped_line(p, prior, true);
    CAPTURE(prior[0]);
    CHECK(f.shape == "constant");
    CHECK(f.coefficients[1].value == 0.0);
    CHECK(curve_matches_levels(f, p, 2.0));
    CHECK(f.chi2 < 2.0 * static_cast<double>(p.size()));  // the χ² of the exported curve
    CHECK(f.coefficients[0].value == doctest::Approx(0.0093).epsilon(0.02));
  }
  // A constant ln Q_s (no lower clip) as well.
  const auto q = constant_levels(std::log(0.05), 0.01);
  const CurveFit fq = fit_clipped_line(q, {std::log(0.0088), -0.65, -1e300, std::log(0.2)}, false);
  CHECK(curve_matches_levels(fq, q, 2.0));
  CHECK(fq.coefficients[1].value == 0.0);
}

TEST_CASE("a line whose unidentified clip would cut it at the levels: the clip moves") {
  const std::vector<double> u = {std::log(0.1), std::log(0.2), std::log(0.5), std::log(1.0)};
  const auto p = clipped_points(u, 0.05, -0.02, 0.0, 1.0, 1e-4);  // 0.05 .. 0.096, line only
  const CurveFit f = fit_clipped_line(p, {0.03, -0.01, 0.07, 0.08}, true);  // prior clips inside
  CHECK(f.coefficients[0].identified);
  CHECK(f.coefficients[3].value >= 0.05 - 0.02 * std::log(0.1) - 1e-9);
  CHECK(f.coefficients[2].value <= 0.05 + 1e-9);
  CHECK_FALSE(f.coefficients[3].rule.empty());
  CHECK(curve_matches_levels(f, p, 1.0));
}

TEST_CASE("two plateaus and no line: the line joins them between their levels") {
  std::vector<double> u = {std::log(1e-7), std::log(1e-3)};
  for (int i = 1; i <= 10; ++i) u.push_back(std::log(i / 10.0));
  std::vector<CurvePoint> p;
  for (double x : u) p.push_back({x, x < std::log(0.05) ? 0.12 : 0.05, 1e-4});
  const CurveFit f = fit_clipped_line(p, {0.0244, -0.0155, 0.049, 0.1}, true);
  CHECK(f.shape == "two plateaus");
  CHECK(curve_matches_levels(f, p, 1.0));
  CHECK_FALSE(f.coefficients[0].identified);
  CHECK_FALSE(f.coefficients[0].rule.empty());
}

TEST_CASE("no usable points") {
  const CurveFit f = fit_clipped_line({{0.0, NAN, 1.0}}, {1, -1, 0, 2}, true);
  for (const Estimate& e : f.coefficients) CHECK_FALSE(e.identified);
}

TEST_CASE("a level that fits the line and the plateau alike leaves the slope not identified") {
  // μ_ν of the published model: the level at x = 0.2 (0.0494) is within its error of the plateau
  // 0.049, so the line may pass through x = 0.1 alone, and nothing fixes its slope.
  std::vector<CurvePoint> p = {{std::log(1e-7), 0.1, 0.003}, {std::log(0.1), 0.0601, 5e-4}};
  p.push_back({std::log(0.2), 0.0494, 5e-4});
  for (int i = 3; i <= 10; ++i) p.push_back({std::log(i / 10.0), 0.049, 5e-4});
  const CurveFit f = fit_clipped_line(p, {0.03, -0.01, 0.04, 0.2}, true);
  for (int k : {0, 1}) {
    const Estimate& e = f.coefficients[static_cast<std::size_t>(k)];
    INFO(k << ": " << e.rule);
    CHECK_FALSE(e.identified);
    CHECK(e.rule.find("fits the levels about as well") != std::string::npos);
  }
  CHECK(f.coefficients[2].identified);
  CHECK(f.coefficients[3].identified);
}

TEST_CASE("a plateau that may rest on one imprecise level carries that level's error") {
  // σ_ν of a model with σ_max = 0.04: the zero level (far out at ln 1e-7) is measured as 0.027 ±
  // 0.014, the first level above it (0.0268 ± 0.001) is on the line. Both readings, the upper
  // plateau through both levels or through the zero level alone, fit; σ_max must not get the
  // 0.001 of the first level.
  std::vector<CurvePoint> p = {{std::log(1e-7), 0.027, 0.014}};
  for (int k = 1; k <= 12; ++k) {
    const double x = k / 12.0;
    const double v = std::clamp(-0.008 - 0.014 * std::log(x), 0.006, 0.04);
    p.push_back({std::log(x), v, 0.03 * v});
  }
  const CurveFit f = fit_clipped_line(p, {0.0, -0.01, 0.005, 0.05}, true);
  const Estimate& hi = f.coefficients[3];
  INFO(hi.value << " +- " << hi.std_error);
  REQUIRE(hi.identified);
  CHECK(hi.std_error >= 0.01);
  CHECK(std::abs(hi.value - 0.04) <= 2 * hi.std_error);
}

TEST_CASE("the zero level, at ln x_floor, is a point of the upper plateau, never of the line") {
  // μ_ν levels of a model-B campaign (2,000 devices, seed 3): 0 uS at 0.0882 ± 0.0049, 1.67 uS
  // at 0.0682, the rest on the lower plateau. Without the rule, a line through the zero level
  // (16 units of ln x away from the rest) won, μ_max stayed at the prior's 0.1 and the curve
  // missed the 1.67 uS level by 3.4 standard errors.
  const double g[] = {0, 1.667, 3.333, 5, 6.667, 8.333, 10, 11.67, 13.33, 15, 16.67, 18.33, 20};
  const double v[] = {0.08822, 0.06820, 0.06052, 0.06033, 0.05983, 0.05985, 0.05999,
                      0.05944, 0.05999, 0.06020, 0.05977, 0.06019, 0.05971};
  const double se[] = {0.0049,  0.0017,  0.00054, 0.00037, 0.00026, 0.00022, 0.00019,
                       0.00019, 0.00018, 0.00017, 0.00016, 0.00017, 0.00016};
  std::vector<CurvePoint> p;
  for (int k = 0; k < 13; ++k) p.push_back({std::log(std::max(g[k] / 20, 1e-7)), v[k], se[k]});
  const CurveFit f = fit_clipped_line(p, {0.0244, -0.0155, 0.049, 0.1}, true, std::log(1e-7));
  const Estimate& hi = f.coefficients[3];
  INFO(f.shape << ": mu_max " << hi.value << " +- " << hi.std_error);
  CHECK(hi.identified);
  CHECK(hi.value == doctest::Approx(0.0882).epsilon(0.02));
  const auto& c = f.coefficients;
  CHECK(std::clamp(c[0].value + c[1].value * p[0].x, c[2].value, c[3].value) ==
        doctest::Approx(hi.value));
}
