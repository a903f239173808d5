#include "pcmkit/analog/programmed_weights.h"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "pcmkit/analog/drift_compensation.h"
#include "pcmkit/core/error.h"

using namespace pcmkit;

namespace {

device::PcmModel noiseless() {
  device::PcmModel m = device::PcmModel::published();
  m.programming_noise = {0, 0, 0};
  m.drift_exponent = {0, 0, 0, 0, 0, 0, 0, 0};  // ν = 0: no drift
  m.read_noise.q0 = 0;
  m.read_noise.q_max = 0;
  return m;
}

}  // namespace

TEST_CASE("a noiseless device maps weights to pairs and back exactly (float rounding)") {
  Eigen::ArrayXf w(5);
  w << -0.5f, 0.0f, 0.25f, 1.0f, -1.0f;
  const analog::ProgrammedWeights p(noiseless(), w, 1, 0);
  CHECK(p.w_max() == 1.0);
  const Eigen::ArrayXf r = p.read_weights(3600, 0);
  for (Eigen::Index i = 0; i < w.size(); ++i) CHECK(r[i] == doctest::Approx(w[i]).epsilon(1e-6));
}

TEST_CASE("drift shrinks weights by (t/t0)^-nu and GDC restores the scale") {
  device::PcmModel m = noiseless();
  m.drift_exponent = {0.05, 0, 0.05, 0.05, 0, 0, 0, 0};  // ν = 0.05 everywhere, no spread
  Eigen::ArrayXf w = Eigen::ArrayXf::LinSpaced(101, -1, 1);
  const analog::ProgrammedWeights p(m, w, 1, 0);
  const Eigen::ArrayXf w_ref = p.read_weights(m.t0_s, 0);
  const Eigen::ArrayXf w_day = p.read_weights(86400, 1);
  const double factor = std::pow(86400 / m.t0_s, -0.05);
  for (Eigen::Index i = 0; i < w.size(); ++i)
    CHECK(w_day[i] == doctest::Approx(w[i] * factor).epsilon(1e-5).scale(1e-6));
  CHECK(analog::global_drift_compensation(w_ref, w_day) ==
        doctest::Approx(1 / factor).epsilon(1e-6));
}

TEST_CASE("with the published model, W(t0) scatters around W by the programming noise") {
  // N = 200000 weights at w = W_max/2 (G_T = 12.5 µS): mean of W(t0) within 5 s.e. of the
  // expected w·(1 − ...) ≈ w, spread ≈ sqrt(σ_prog(12.5)² + σ_prog(0)²·(1 − 1/π)...) checked
  // loosely: the standard deviation is within 5% of the device-level prediction.
  const device::PcmModel m = device::PcmModel::published();
  const int n = 200000;
  Eigen::ArrayXf w = Eigen::ArrayXf::Constant(n, 0.5f);
  w[0] = 1.0f;  // sets W_max = 1
  const analog::ProgrammedWeights p(m, w, 3, 0);
  const Eigen::ArrayXf r = p.read_weights(m.t0_s, 0).segment(1, n - 1);
  const double mean = r.cast<double>().mean();
  const double sd = std::sqrt((r.cast<double>() - mean).square().mean());
  // G+ ~ 12.5 + N(0, σ(0.5)) with read noise; G− = max(0, σ(0)ξ) with mean σ(0)/sqrt(2π).
  const double s_plus = m.sigma_prog_uS(12.5), s_minus = m.sigma_prog_uS(0);
  const double expected_mean = (12.5 - s_minus / std::sqrt(2 * std::numbers::pi)) / 25.0;
  CHECK(std::abs(mean - expected_mean) < 5 * sd / std::sqrt(n));
  const double read_rel = m.sigma_read_rel(12.5, m.t0_s);
  const double var_minus = s_minus * s_minus * (0.5 - 1 / (2 * std::numbers::pi));
  const double expected_sd =
      std::sqrt(s_plus * s_plus + 12.5 * 12.5 * read_rel * read_rel + var_minus) / 25.0;
  CHECK(sd == doctest::Approx(expected_sd).epsilon(0.05));
}

TEST_CASE("same seed and items give identical reads — other items differ") {
  const device::PcmModel m = device::PcmModel::published();
  Eigen::ArrayXf w = Eigen::ArrayXf::LinSpaced(1000, -1, 1);
  const analog::ProgrammedWeights a(m, w, 5, 0), b(m, w, 5, 0), c(m, w, 5, 1 << 20);
  CHECK((a.read_weights(100, 2) == b.read_weights(100, 2)).all());
  CHECK_FALSE((a.read_weights(100, 2) == c.read_weights(100, 2)).all());
  CHECK_FALSE((a.read_weights(100, 2) == a.read_weights(100, 3)).all());
}

TEST_CASE("boundaries: all-zero weights, one weight, reads before t0") {
  const device::PcmModel m = device::PcmModel::published();
  const analog::ProgrammedWeights zero(m, Eigen::ArrayXf::Zero(10), 1, 0);
  CHECK(zero.w_max() == 0.0);
  CHECK((zero.read_weights(100, 0) == 0.0f).all());
  CHECK(analog::global_drift_compensation(Eigen::ArrayXf::Zero(3), Eigen::ArrayXf::Zero(3)) == 1.0);
  const analog::ProgrammedWeights one(m, Eigen::ArrayXf::Constant(1, -2.0f), 1, 0);
  CHECK(one.w_max() == 2.0);
  CHECK_THROWS_AS(one.read_weights(m.t0_s / 2, 0), InputError);
}
