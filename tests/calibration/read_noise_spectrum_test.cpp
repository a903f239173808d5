#include "pcmkit/calibration/read_noise_spectrum.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/device/read_noise_trace.h"

namespace {

using pcmkit::calibration::fit_read_noise_spectrum;
using pcmkit::calibration::ReadNoiseSpectrumFit;
using pcmkit::calibration::ReadNoiseSpectrumOptions;
using pcmkit::measurement::Campaign;

struct Level {
  double g_target_uS;
  double q_s;
};

struct Synthetic {
  std::vector<Level> levels = {{2.0, 0.04}, {8.0, 0.015}, {20.0, 0.006}};
  double gamma = 1.1;
  Eigen::Index traces_per_level = 64;
  Eigen::Index num_reads = 256;
  double dt_s = 0.05;
};

// One device per trace; reads G_d·(1 + n) with a constant G_d within ±5 % of the target and n
// from sample_relative_trace. Only the fields the estimator reads are filled (no reads/ group).
Campaign make_campaign(const Synthetic& s, std::uint64_t seed) {
  const auto num_levels = static_cast<Eigen::Index>(s.levels.size());
  const Eigen::Index n = num_levels * s.traces_per_level;
  Campaign c;
  c.g_max_uS = 25.0;
  c.t_read_s = 1e-6;
  c.g_target_uS.resize(n);
  pcmkit::measurement::NoiseTraces noise;
  noise.dt_s = s.dt_s;
  noise.device_index.resize(n);
  noise.t_start_s = Eigen::VectorXd::Constant(n, 100.0);
  noise.g_uS.resize(n, s.num_reads);
  for (Eigen::Index l = 0; l < num_levels; ++l) {
    const Level& level = s.levels[static_cast<std::size_t>(l)];
    const pcmkit::device::TraceSpec spec{level.q_s, s.gamma, s.dt_s, s.num_reads, 8};
    for (Eigen::Index t = 0; t < s.traces_per_level; ++t) {
      const Eigen::Index i = l * s.traces_per_level + t;
      c.g_target_uS[i] = level.g_target_uS;
      noise.device_index[i] = i;
      const double g_d_uS = level.g_target_uS * (1.0 + 0.05 * std::sin(static_cast<double>(i)));
      const Eigen::ArrayXd x =
          pcmkit::device::sample_relative_trace(spec, seed, static_cast<std::uint64_t>(i));
      noise.g_uS.row(i) = (g_d_uS * (1.0 + x)).matrix().transpose();
    }
  }
  c.noise = std::move(noise);
  return c;
}

// |estimate − truth| in reported standard errors, for γ and each level's Q_s.
std::vector<double> z_scores(const ReadNoiseSpectrumFit& fit, const Synthetic& s) {
  std::vector<double> z = {(fit.gamma - s.gamma) / fit.gamma_std_error};
  for (std::size_t l = 0; l < s.levels.size(); ++l)
    z.push_back((fit.levels[l].q_s - s.levels[l].q_s) / fit.levels[l].q_s_std_error);
  return z;
}

}  // namespace

TEST_CASE("recovers Q_s and gamma within 3 reported standard errors") {
  Synthetic s;
  s.traces_per_level = 100;
  s.num_reads = 512;
  const ReadNoiseSpectrumFit fit = fit_read_noise_spectrum(make_campaign(s, 1));
  REQUIRE(fit.available);
  CAPTURE(fit.message);
  REQUIRE(fit.levels.size() == 3);
  for (double z : z_scores(fit, s)) CHECK(std::abs(z) < 3.0);
  CHECK(fit.gamma_std_error < 0.03);  // 300 traces of 512 reads pin γ to about ±0.015
  for (std::size_t l = 0; l < 3; ++l) {
    CAPTURE(l);
    const auto& level = fit.levels[l];
    CHECK(level.fitted);
    CHECK(level.g_target_uS == s.levels[l].g_target_uS);
    CHECK(level.num_traces == 100);
    CHECK(level.num_skipped == 0);
    CHECK(level.num_rejected == 0);
    CHECK(level.q_s_std_error < 0.02 * level.q_s);
    CHECK(level.line_correction > 1.0);
    CHECK(level.f_Hz.size() == level.psd_per_Hz.size());
    CHECK(level.f_Hz.size() == level.psd_model_per_Hz.size());
    CHECK(level.psd_model_per_Hz.allFinite());
    CHECK(level.f_Hz[0] >= 16.0 / (512 * s.dt_s));
    CHECK(level.f_Hz[level.f_Hz.size() - 1] <= 0.4 / s.dt_s);
  }
  // 9 bins per level (16..204 cycles, 8 per decade). chi²/dof: 27 − 4 = 23 dof, sd sqrt(2/23) =
  // 0.29; a common gain per trace lowers it (header), so only a wide band is asserted.
  CHECK(fit.num_residuals == 27);
  CHECK(fit.chi2_per_dof > 0.3);
  CHECK(fit.chi2_per_dof < 2.0);
}

TEST_CASE("coverage: estimates within 2 reported standard errors in >= 85% of 20 seeds") {
  // 20 seeds × 3 levels × 64 traces × 256 reads, γ = 1.1 and, separately, γ = 0.8. An unbiased
  // estimator with correct standard errors covers 95.4 %; 17 of 20 is the pass rule.
  for (double gamma : {1.1, 0.8}) {
    CAPTURE(gamma);
    Synthetic s;
    s.gamma = gamma;
    std::vector<int> covered(1 + s.levels.size(), 0);
    for (std::uint64_t seed = 100; seed < 120; ++seed) {
      const ReadNoiseSpectrumFit fit = fit_read_noise_spectrum(make_campaign(s, seed));
      REQUIRE(fit.available);
      const std::vector<double> z = z_scores(fit, s);
      for (std::size_t p = 0; p < z.size(); ++p) covered[p] += std::abs(z[p]) < 2.0 ? 1 : 0;
    }
    for (std::size_t p = 0; p < covered.size(); ++p) {
      CAPTURE(p);  // 0: γ, 1..3: Q_s of the levels
      CHECK(covered[p] >= 17);
    }
  }
}

TEST_CASE("censored, missing and non-converged traces are skipped — outliers rejected") {
  Synthetic s;
  Campaign c = make_campaign(s, 3);
  const Eigen::Index m = s.traces_per_level, num_devices = c.num_devices();
  c.noise->g_uS(0, 10) = 0.0;                                       // censored at zero
  c.noise->g_uS(1, 20) = -0.1;                                      // below zero
  c.noise->g_uS(2, 30) = std::numeric_limits<double>::quiet_NaN();  // missing
  c.converged.assign(static_cast<std::size_t>(num_devices), 1);
  c.converged[3] = 0;  // programming did not converge
  // The middle level: every trace censored.
  for (Eigen::Index i = m; i < 2 * m; ++i) c.noise->g_uS(i, 0) = 0.0;
  // The last level (Q_s = 0.006): one trace with ten times the fluctuation, 100× the power.
  const Eigen::Index outlier = 2 * m + 5;
  const double g_mean_uS = c.noise->g_uS.row(outlier).mean();
  c.noise->g_uS.row(outlier) =
      (g_mean_uS + 10.0 * (c.noise->g_uS.row(outlier).array() - g_mean_uS)).matrix();

  const ReadNoiseSpectrumFit fit = fit_read_noise_spectrum(c);
  REQUIRE(fit.available);
  REQUIRE(fit.levels.size() == 3);
  CHECK(fit.levels[0].num_skipped == 4);
  CHECK(fit.levels[0].num_rejected == 0);
  CHECK(fit.levels[0].num_traces == m - 4);
  CHECK(fit.levels[0].fitted);
  CHECK(!fit.levels[1].fitted);
  CHECK(fit.levels[1].num_traces == 0);
  CHECK(fit.levels[1].num_skipped == m);
  CHECK(std::isnan(fit.levels[1].q_s));
  CHECK(fit.levels[1].psd_per_Hz.size() == 0);
  CHECK(fit.levels[2].num_skipped == 0);
  CHECK(fit.levels[2].num_rejected == 1);
  CHECK(fit.levels[2].fitted);
  for (std::size_t l : {0, 2})
    CHECK(std::abs(fit.levels[l].q_s - s.levels[l].q_s) < 4.0 * fit.levels[l].q_s_std_error);
}

TEST_CASE("a level with fewer than min_traces_per_level usable traces is reported, not fitted") {
  Synthetic s;
  Campaign c = make_campaign(s, 4);
  for (Eigen::Index i = 3; i < s.traces_per_level; ++i) c.noise->g_uS(i, 0) = 0.0;
  const ReadNoiseSpectrumFit fit = fit_read_noise_spectrum(c);
  REQUIRE(fit.available);
  CHECK(fit.levels[0].num_traces == 3);
  CHECK(!fit.levels[0].fitted);
  CHECK(fit.levels[0].psd_per_Hz.size() > 0);  // still binned, for figures
  CHECK(fit.levels[1].fitted);
}

TEST_CASE("no traces, or nothing usable: available = false with a message") {
  Synthetic s;
  Campaign c = make_campaign(s, 5);
  Campaign none = c;
  none.noise.reset();
  ReadNoiseSpectrumFit fit = fit_read_noise_spectrum(none);
  CHECK(!fit.available);
  CHECK(!fit.message.empty());
  CHECK(std::isnan(fit.gamma));

  Campaign empty = c;
  empty.noise->g_uS.resize(0, s.num_reads);
  empty.noise->device_index.resize(0);
  empty.noise->t_start_s.resize(0);
  fit = fit_read_noise_spectrum(empty);
  CHECK(!fit.available);
  CHECK(!fit.message.empty());

  Campaign censored = c;
  censored.noise->g_uS.col(0).setZero();
  fit = fit_read_noise_spectrum(censored);
  CHECK(!fit.available);
  CHECK(fit.levels.size() == 3);
  CHECK(!fit.message.empty());

  s.num_reads = 32;  // 16..12 cycles: no frequency in the fitted range
  fit = fit_read_noise_spectrum(make_campaign(s, 5));
  CHECK(!fit.available);
  CHECK(!fit.message.empty());
}

TEST_CASE("the result does not depend on the thread count") {
  const Campaign c = make_campaign(Synthetic{}, 6);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ReadNoiseSpectrumFit one = fit_read_noise_spectrum(c);
  omp_set_num_threads(3);
  const ReadNoiseSpectrumFit three = fit_read_noise_spectrum(c);
  omp_set_num_threads(threads);
  REQUIRE(one.available);
  CHECK(one.gamma == three.gamma);
  CHECK(one.gamma_std_error == three.gamma_std_error);
  CHECK(one.levels[1].q_s == three.levels[1].q_s);
}

TEST_CASE("Errors: options out of range are InputError naming the field") {
  const Campaign c = make_campaign(Synthetic{}, 7);
  auto bad = [&](auto change, const char* field) {
    ReadNoiseSpectrumOptions o;
    change(o);
    CHECK_THROWS_WITH_AS(o.validate("test"), doctest::Contains(field), pcmkit::InputError);
    CHECK_THROWS_AS(fit_read_noise_spectrum(c, o), pcmkit::InputError);
  };
  bad([](ReadNoiseSpectrumOptions& o) { o.f_min_cycles = 2; }, "f_min_cycles");
  bad([](ReadNoiseSpectrumOptions& o) { o.f_max_fraction = 0.6; }, "f_max_fraction");
  bad([](ReadNoiseSpectrumOptions& o) { o.f_max_fraction = 0.0; }, "f_max_fraction");
  bad([](ReadNoiseSpectrumOptions& o) { o.bins_per_decade = 0; }, "bins_per_decade");
  bad([](ReadNoiseSpectrumOptions& o) { o.min_traces_per_level = 1; }, "min_traces_per_level");
  bad([](ReadNoiseSpectrumOptions& o) { o.outlier_robust_sigmas = 0; }, "outlier_robust_sigmas");
  bad([](ReadNoiseSpectrumOptions& o) { o.low_frequency_windows = 0.5; }, "low_frequency_windows");
  CHECK_NOTHROW(ReadNoiseSpectrumOptions{}.validate("test"));
}

TEST_CASE("Requires: a device index out of range is InternalError") {
  Campaign c = make_campaign(Synthetic{}, 8);
  c.noise->device_index[0] = c.num_devices();
  CHECK_THROWS_AS(fit_read_noise_spectrum(c), pcmkit::InternalError);
  c.noise->device_index[0] = -1;
  CHECK_THROWS_AS(fit_read_noise_spectrum(c), pcmkit::InternalError);
}
