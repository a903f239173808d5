// fit_drift_residual_noise (drift_residual_noise.h): γ and Q_s from how reads scatter about their
// drift lines, on campaigns drawn with γ unlike the prior's, at a lab's size (300 devices per
// level); and a read noise that does not grow with time as a 1/f band is flagged, not fitted.
#include "pcmkit/calibration/drift_residual_noise.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "pcmkit/calibration/regression_level_fit.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

std::vector<double> log_times(double from, double to, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i)
    v.push_back(from * std::pow(to / from, static_cast<double>(i) / (n - 1)));
  return v;
}

// The residuals of every level of a campaign, fitted under `noise_model` (γ = 1, the prior).
std::vector<DriftResiduals> residuals_of(const measurement::Campaign& c,
                                         const device::PcmModel& noise_model) {
  std::vector<DriftResiduals> out;
  for (double g : {5.0, 10.0, 15.0, 20.0, 25.0}) {
    Level level;
    level.g_target_uS = g;
    for (Eigen::Index i = 0; i < c.num_devices(); ++i)
      if (c.g_target_uS[i] == g && c.is_converged(i)) level.devices.push_back(i);
    DriftResiduals r;
    fit_level_by_regression(c, level, noise_model, std::nullopt, {}, &r);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("gamma and Q_s from drift residuals: within 2 s.e. as often as honest errors allow") {
  // 2 values of γ x 20 seeds = 40 γ's and 200 Q_s's. Honest errors put 95% within 2 s.e.
  // (binomial s.d. 3.4% for 40, 1.5% for 200); the bar, 85%, is 3 and 6.5 s.d. below. A Q_s is
  // compared with its error at fixed γ and γ's error carried along d ln Q/dγ.
  int gamma_within = 0, gamma_total = 0, q_within = 0, q_total = 0, flagged = 0;
  for (double gamma : {0.9, 1.15}) {
    device::PcmModel truth = device::PcmModel::published();
    truth.read_noise.gamma = gamma;
    device::PcmModel noise_model = truth;
    noise_model.read_noise.gamma = 1.0;  // what the fit starts from
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      measurement::VirtualChipOptions chip;
      chip.g_target_uS = {5, 10, 15, 20, 25};
      chip.devices_per_level = 300;
      chip.times_s = log_times(22, 2 * 86400.0, 18);
      chip.traces_per_level = 0;
      chip.seed = seed;
      const measurement::Campaign c = measurement::synthesize_campaign(truth, chip);
      const DriftResidualNoiseFit f =
          fit_drift_residual_noise(residuals_of(c, noise_model), noise_model);
      REQUIRE(f.available);
      CHECK(f.dof == 5 * 18 - 6);
      ++gamma_total;
      gamma_within += std::abs(f.gamma.value - gamma) <= 2 * f.gamma.std_error;
      flagged += f.p_value < 0.01;
      for (std::size_t l = 0; l < f.q_s.size(); ++l) {
        const double q_true = truth.q_s(chip.g_target_uS[l]);
        const double se =
            std::hypot(f.q_s[l].std_error, f.q_s[l].value * f.dlog_q_dgamma[l] * f.gamma.std_error);
        ++q_total;
        q_within += std::abs(f.q_s[l].value - q_true) <= 2 * se;
      }
    }
  }
  MESSAGE("gamma within 2 s.e.: " << gamma_within << " of " << gamma_total << "; Q_s " << q_within
                                  << " of " << q_total << "; p < 0.01: " << flagged);
  CHECK(gamma_within >= 0.85 * gamma_total);
  CHECK(q_within >= 0.85 * q_total);
  // The J test's false alarms at 1%: expected 0.4 of 40; 4 or more has probability < 1e-3.
  CHECK(flagged <= 3);
}

TEST_CASE("read noise that shrinks with time is not a 1/f band: flagged or not fitted") {
  // Reads G·(t/t0)^(−ν)·(1 + s_j·ξ) with s_j falling from 5% to 1.5% over the campaign: no γ
  // makes Q_s²·band_γ(t) fall, so the fit stops at the end of γ's range or fails its J test.
  const device::PcmModel noise_model = device::PcmModel::published();
  const std::vector<double> t = log_times(22, 2 * 86400.0, 18);
  measurement::Campaign c;
  c.g_max_uS = 25;
  c.t_read_s = noise_model.t_read_s;
  const Eigen::Index n = 1000;
  c.g_target_uS = Eigen::VectorXd::Constant(n, 10.0);
  c.time_s.resize(1, static_cast<Eigen::Index>(t.size()));
  c.g_uS.resize(n, static_cast<Eigen::Index>(t.size()));
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  Eigen::ArrayXd log_t(static_cast<Eigen::Index>(t.size())), s_used(log_t.size());
  for (Eigen::Index j = 0; j < log_t.size(); ++j) {
    c.time_s(0, j) = t[static_cast<std::size_t>(j)];
    log_t[j] = std::log(t[static_cast<std::size_t>(j)] / noise_model.t0_s);
    s_used[j] = 0.03;
  }
  std::vector<Eigen::Index> devices;
  for (Eigen::Index i = 0; i < n; ++i) {
    devices.push_back(i);
    const double g_prog = 10 + normal(rng), nu = 0.05 + 0.01 * normal(rng);
    for (Eigen::Index j = 0; j < log_t.size(); ++j) {
      const double s = 0.05 * std::pow(t[static_cast<std::size_t>(j)] / 22, -0.13);
      c.g_uS(i, j) = g_prog * std::exp(-nu * log_t[j]) * (1 + s * normal(rng));
    }
  }
  const DriftResidualNoiseFit f =
      fit_drift_residual_noise({drift_residuals(c, devices, 10.0, log_t, s_used)}, noise_model);
  INFO(f.message << " gamma " << f.gamma.value << " p " << f.p_value);
  CHECK((!f.available || f.p_value < 1e-3));
  if (!f.available) CHECK_FALSE(f.message.empty());
}

TEST_CASE("too few devices or read times: nothing estimated, and the message says why") {
  const DriftResidualNoiseFit f = fit_drift_residual_noise({}, device::PcmModel::published());
  CHECK_FALSE(f.available);
  CHECK_FALSE(f.message.empty());
}

}  // namespace pcmkit::calibration
