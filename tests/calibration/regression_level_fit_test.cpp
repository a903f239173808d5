// fit_level_by_regression (regression_level_fit.h) on synthetic levels drawn by the virtual chip
// from the published model: it must recover the generating σ_prog, μ_ν, σ_ν (and Q_s from the
// residuals when no trace gave it) within their reported standard errors, reject outliers and
// say when a level has too few devices. Fixed seeds; each tolerance states N and its σ multiple.
#include "pcmkit/calibration/regression_level_fit.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

constexpr Eigen::Index kNumDevices = 5000;
constexpr Eigen::Index kNumTimes = 20;  // the chip's default: 25 s .. 1 d, log-spaced
// Every recovery check: within this many reported standard errors (a two-sided 4σ test, false
// alarm 6e-5 per check).
constexpr double kSe = 4.0;

// One level of kNumDevices devices at g_target_uS, read at the default 20 times, no traces.
measurement::Campaign one_level(double g_target_uS, std::uint64_t seed) {
  measurement::VirtualChipOptions o;
  o.g_target_uS = {g_target_uS};
  o.devices_per_level = kNumDevices;
  o.traces_per_level = 0;
  o.non_converged_fraction = 0.0;
  o.seed = seed;
  return measurement::synthesize_campaign(device::PcmModel::published(), o);
}

Level level_of(const measurement::Campaign& c) {
  Level l;
  l.g_target_uS = c.g_target_uS[0];
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) {
    if (c.is_converged(i))
      l.devices.push_back(i);
    else
      ++l.num_not_converged;
  }
  return l;
}

void check_within(const Estimate& e, double truth, const char* name) {
  INFO(name << ": " << e.value << " +- " << e.std_error << ", truth " << truth);
  CHECK(e.identified);
  CHECK(std::isfinite(e.std_error));
  CHECK(e.std_error > 0);
  CHECK(std::abs(e.value - truth) <= kSe * e.std_error);
}

// A clean level loses almost no devices. At 12.5 uS (sigma_r <= 0.07) none: 0 of 50,000 devices
// over 10 seeds. At 2.5 uS (sigma_r ~ 0.2) ln(1 + s xi) has a heavy left tail, so a read far below
// its drift line gives a residual chi^2 beyond the chi^2(18) 1 - 1e-9 quantile more often than
// 1e-9: 7 of 50,000 (10 seeds), 1 to 4 of 5000 per seed over 40 seeds. Bound: 0.2% of N.
void check_clean_rejections(const LevelFit& f) {
  if (f.g_target_uS >= 12.5)
    CHECK(f.num_rejected == 0);
  else
    CHECK(f.num_rejected <= kNumDevices / 500);
}

// The s.d. of the mean χ²/dof of N devices with T − 2 dof each: sqrt(2/((T − 2)·N)), 0.0047 for
// N = 5000, T = 20. The χ² checks below allow 5 of these.
double chi2_sd(Eigen::Index num_devices) {
  return std::sqrt(2.0 / static_cast<double>((kNumTimes - 2) * num_devices));
}

TEST_CASE("recovers sigma_prog, mu_nu, sigma_nu with Q_s given (as from traces)") {
  const device::PcmModel truth = device::PcmModel::published();
  for (const double g : {12.5, 2.5}) {
    CAPTURE(g);
    const measurement::Campaign c = one_level(g, 31);
    const Estimate q_known{truth.q_s(g), 0.01 * truth.q_s(g), true, ""};
    const LevelFit f = fit_level_by_regression(c, level_of(c), truth, q_known);
    CHECK(f.g_target_uS == g);
    CHECK(f.method == LevelMethod::kDriftRegression);
    CHECK(f.num_devices == kNumDevices);
    CHECK(f.num_not_converged == 0);
    CHECK(f.num_used + f.num_rejected == kNumDevices);
    check_clean_rejections(f);
    check_within(f.sigma_prog_uS, truth.sigma_prog_uS(g), "sigma_prog_uS");
    check_within(f.mu_nu, truth.mu_nu(g), "mu_nu");
    check_within(f.sigma_nu, truth.sigma_nu(g), "sigma_nu");
    // Q_s is passed through unchanged and attributed to the traces.
    CHECK(f.q_s_source == ReadNoiseSource::kTraces);
    CHECK(f.q_s.value == q_known.value);
    CHECK(f.q_s.std_error == q_known.std_error);
    CHECK(f.q_s.identified);
    // With the true Q_s the weighted residuals are χ²(T − 2) per device.
    CHECK(std::abs(f.drift_chi2_per_dof - 1.0) <= 5 * chi2_sd(kNumDevices));
    // mean(Ĝ_prog − G_T) ~ 0 with s.d. σ_prog/sqrt(N) (≤ 0.0135 uS here); 5 s.d.
    CHECK(std::abs(f.mean_offset_uS) <=
          5 * truth.sigma_prog_uS(g) / std::sqrt(static_cast<double>(kNumDevices)));
    CHECK(f.note.empty());
  }
}

TEST_CASE("without Q_s: Q_s from the residuals, recovered within 4 s.e.") {
  const device::PcmModel truth = device::PcmModel::published();
  // Start from a Q_s 30% off (the prior's), so the residual rescaling has work to do.
  device::PcmModel start = truth;
  start.read_noise.q0 *= 1.3;
  for (const double g : {12.5, 2.5}) {
    CAPTURE(g);
    const measurement::Campaign c = one_level(g, 32);
    const LevelFit f = fit_level_by_regression(c, level_of(c), start, std::nullopt);
    CHECK(f.q_s_source == ReadNoiseSource::kDriftResiduals);
    check_within(f.q_s, truth.q_s(g), "q_s");
    check_within(f.sigma_prog_uS, truth.sigma_prog_uS(g), "sigma_prog_uS");
    check_within(f.mu_nu, truth.mu_nu(g), "mu_nu");
    check_within(f.sigma_nu, truth.sigma_nu(g), "sigma_nu");
    check_clean_rejections(f);
    // Q_s is chosen so that χ²/dof is 1 (up to the last rescaling step): 5 s.d. as above.
    CHECK(std::abs(f.drift_chi2_per_dof - 1.0) <= 5 * chi2_sd(kNumDevices));
  }
}

TEST_CASE("a wrong Q_s shows in drift_chi2_per_dof") {
  // Q_s given 20% too high: the residuals are 1/1.2² = 0.69 of their modelled variance.
  const device::PcmModel truth = device::PcmModel::published();
  const double g = 12.5;
  const measurement::Campaign c = one_level(g, 33);
  const Estimate q_high{1.2 * truth.q_s(g), 0.0, true, ""};
  const LevelFit f = fit_level_by_regression(c, level_of(c), truth, q_high);
  CHECK(std::abs(f.drift_chi2_per_dof - 1 / 1.44) <= 5 * chi2_sd(kNumDevices));
}

TEST_CASE("outliers are rejected and counted — the estimates stay unbiased") {
  const device::PcmModel truth = device::PcmModel::published();
  const double g = 12.5;
  measurement::Campaign c = one_level(g, 34);
  const Eigen::ArrayXd t = c.time_s.row(0).transpose().array();
  // Device 10: every read 3x too high (Ĝ_prog ~ 25 uS off, ~26 sigma_prog).
  c.g_uS.row(10) *= 3.0;
  // Device 20: conductance rising with time, ν ~ −0.45 (~60 robust s.d. of ν̂ away).
  c.g_uS.row(20).array() *= (t / truth.t0_s).pow(0.5);
  // Device 30: one read doubled: residual ln 2 ~ 11 read-noise s.d., χ² ~ 130 > its 1 − 1e-9
  // quantile (~60 for 18 dof).
  c.g_uS(30, 9) *= 2.0;
  // Device 40: only two usable reads: no regression possible.
  c.g_uS.row(40).tail(kNumTimes - 2).setConstant(std::numeric_limits<double>::quiet_NaN());
  Level level = level_of(c);
  level.num_not_converged = 7;  // flagged devices are only counted
  const Estimate q_known{truth.q_s(g), 0.01 * truth.q_s(g), true, ""};
  const LevelFit f = fit_level_by_regression(c, level, truth, q_known);
  CHECK(f.num_devices == kNumDevices + 7);
  CHECK(f.num_not_converged == 7);
  CHECK(f.num_rejected == 4);
  CHECK(f.num_used == kNumDevices - 4);
  check_within(f.sigma_prog_uS, truth.sigma_prog_uS(g), "sigma_prog_uS");
  check_within(f.mu_nu, truth.mu_nu(g), "mu_nu");
  check_within(f.sigma_nu, truth.sigma_nu(g), "sigma_nu");
  CHECK(std::abs(f.drift_chi2_per_dof - 1.0) <= 5 * chi2_sd(kNumDevices - 4));

  // Also when Q_s comes from the residuals, which the doubled read must not inflate.
  const LevelFit r = fit_level_by_regression(c, level, truth, std::nullopt);
  CHECK(r.num_rejected == 4);
  check_within(r.q_s, truth.q_s(g), "q_s");
}

TEST_CASE("too few devices: nothing identified, and a note says why") {
  const device::PcmModel truth = device::PcmModel::published();
  const measurement::Campaign c = one_level(12.5, 35);
  RegressionLevelOptions options;  // min_devices = 20
  for (const Eigen::Index n : {Eigen::Index{0}, Eigen::Index{1}, Eigen::Index{19}}) {
    CAPTURE(n);
    Level level;
    level.g_target_uS = 12.5;
    for (Eigen::Index i = 0; i < n; ++i) level.devices.push_back(i);
    for (const bool q_given : {false, true}) {
      const std::optional<Estimate> q =
          q_given ? std::optional<Estimate>(Estimate{truth.q_s(12.5), 1e-4, true, ""})
                  : std::nullopt;
      const LevelFit f = fit_level_by_regression(c, level, truth, q, options);
      CHECK(f.num_devices == n);
      CHECK(f.num_used == n);
      CHECK_FALSE(f.sigma_prog_uS.identified);
      CHECK_FALSE(f.mu_nu.identified);
      CHECK_FALSE(f.sigma_nu.identified);
      CHECK_FALSE(f.q_s.identified);
      CHECK_FALSE(f.note.empty());
      CHECK(f.note.find("20") != std::string::npos);
    }
  }
  // Exactly min_devices is enough.
  Level level;
  level.g_target_uS = 12.5;
  for (Eigen::Index i = 0; i < 20; ++i) level.devices.push_back(i);
  const LevelFit f = fit_level_by_regression(c, level, truth, std::nullopt, options);
  CHECK(f.num_used == 20);
  CHECK(f.sigma_prog_uS.identified);
  CHECK(f.mu_nu.identified);
  CHECK(f.q_s.identified);
}

}  // namespace
}  // namespace pcmkit::calibration

namespace pcmkit::calibration {
namespace {

TEST_CASE("rejected devices are counted by reason") {
  measurement::Campaign c = one_level(12.5, 11);
  // 7 devices stuck at 0 (too few reads above 0), 5 far above the level (outliers in G_prog).
  for (Eigen::Index i = 0; i < 7; ++i) c.g_uS.row(i).setZero();
  for (Eigen::Index i = 7; i < 12; ++i) c.g_uS.row(i) *= 3.0;
  const LevelFit f = fit_level_by_regression(c, level_of(c), device::PcmModel::published(), {});
  CHECK(f.rejected.too_few_reads == 7);
  CHECK(f.rejected.outlier_g_prog == 5);
  CHECK(f.num_rejected == f.rejected.total());
  CHECK(f.rejected.text() == "7 with fewer than 3 reads above 0, 5 outliers in G_prog");
}

TEST_CASE("a drift-exponent mean at its bound 0 has no standard error, not +- 0") {
  // ν = |N(0, 0.02)|: the moments say μ ≤ 0, the folded normal's bound.
  device::PcmModel m = device::PcmModel::published();
  m.drift_exponent = {0.0, 0.0, 0.0, 0.0, 0.02, 0.0, 0.02, 0.02};
  measurement::VirtualChipOptions o;
  o.g_target_uS = {12.5};
  o.devices_per_level = kNumDevices;
  o.traces_per_level = 0;
  o.non_converged_fraction = 0.0;
  int at_bound = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    o.seed = seed;
    const measurement::Campaign c = measurement::synthesize_campaign(m, o);
    const LevelFit f = fit_level_by_regression(c, level_of(c), m, {});
    if (f.mu_nu.identified) {
      CHECK(f.mu_nu.value > 0);  // an interior estimate keeps its error
      CHECK(f.mu_nu.std_error > 0);
    } else {
      ++at_bound;
      CHECK(f.mu_nu.value == 0.0);
      CHECK(f.mu_nu.rule.rfind("at bound", 0) == 0);
    }
  }
  CHECK(at_bound >= 1);  // the moment estimate of μ lands at 0 in about half the seeds
}

}  // namespace
}  // namespace pcmkit::calibration
