#include "pcmkit/calibration/calibrate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "pcmkit/calibration/detail/ceres_quiet.h"
#include "pcmkit/core/error.h"
#include "pcmkit/measurement/detail/read_time_split.h"

namespace pcmkit::calibration {
namespace {

std::vector<Level> group_levels(const measurement::Campaign& c) {
  std::map<double, Level> by_target;
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) {
    Level& level = by_target[c.g_target_uS[i]];
    level.g_target_uS = c.g_target_uS[i];
    if (c.is_converged(i))
      level.devices.push_back(i);
    else
      ++level.num_not_converged;
  }
  std::vector<Level> levels;
  for (auto& [g, level] : by_target) levels.push_back(std::move(level));
  return levels;
}

// Fraction of reads at or below 0, over devices with at least one read above 0: a device stuck
// at 0 on a high level is an outlier for the regression to reject, not a sign of censoring.
double zero_read_fraction(const measurement::Campaign& c, const Level& level) {
  std::int64_t zero = 0, total = 0;
  for (Eigen::Index i : level.devices) {
    std::int64_t device_zero = 0, device_total = 0;
    for (Eigen::Index j = 0; j < c.num_times(); ++j) {
      const double g = c.g_uS(i, j);
      if (std::isnan(g)) continue;
      ++device_total;
      if (g <= 0) ++device_zero;
    }
    if (device_zero == device_total) continue;
    zero += device_zero;
    total += device_total;
  }
  return total ? static_cast<double>(zero) / static_cast<double>(total) : 0.0;
}

std::optional<Estimate> trace_q_s(const ReadNoiseSpectrumFit& spectrum, double g_target_uS) {
  if (!spectrum.available) return std::nullopt;
  for (const LevelSpectrum& l : spectrum.levels)
    if (l.g_target_uS == g_target_uS && l.fitted && std::isfinite(l.q_s_std_error) &&
        l.q_s_std_error > 0)
      return Estimate{l.q_s, l.q_s_std_error, true, ""};
  return std::nullopt;
}

// Copies a curve's estimate into a named coefficient: its value is what the curve exports (the
// prior's where the levels said nothing, or a stated rule's); the prior when there is none.
void take(CalibrationResult& r, const std::string& name, const Estimate& e, double prior) {
  r.coefficients.push_back({name, e, prior});
  if (!e.identified && (!std::isfinite(e.value) || e.rule.empty()))
    r.coefficients.back().estimate.value = prior;
}

// How strongly the read-noise variance the traces predict for the reads depends on γ:
// d ln σ_r²/dγ averaged over the read times, with the traces' PSD held at their own log-centre
// frequency f_p (where the fit pins it): ln f_p + d ln band_γ(t)/dγ.
double trace_variance_dlog_dgamma(const device::PcmModel& model,
                                  const LevelSpectrum& level,
                                  const measurement::Campaign& campaign) {
  if (level.f_Hz.size() == 0) return 0.0;
  const double log_f_p = level.f_Hz.array().log().mean();
  const double h = 1e-4;
  device::PcmModel up = model, down = model;
  up.read_noise.gamma += h;
  down.read_noise.gamma -= h;
  double sum = 0;
  int n = 0;
  for (Eigen::Index j = 0; j < campaign.num_times(); ++j) {
    const double t = campaign.time_s.col(j).mean();
    const double b_up = up.read_noise_band(t), b_down = down.read_noise_band(t);
    if (!(b_up > 0 && b_down > 0)) continue;
    sum += log_f_p + (std::log(b_up) - std::log(b_down)) / (2 * h);
    ++n;
  }
  return n ? sum / n : 0.0;
}

// The read noise the traces measured against the reads' scatter about their drift lines
// (model_adequacy.h, TraceAgreement): levels that disagree join the adequacy verdict.
void check_traces_against_reads(CalibrationResult& r, const measurement::Campaign& campaign) {
  AdequacyResult& a = *r.adequacy;
  std::ostringstream off;
  off.precision(3);
  for (const LevelFit& l : r.levels) {
    if (l.method != LevelMethod::kDriftRegression || l.q_s_source != ReadNoiseSource::kTraces ||
        !std::isfinite(l.drift_chi2_per_dof) || l.num_used < 2 || r.num_times < 3)
      continue;
    TraceAgreement t;
    t.g_target_uS = l.g_target_uS;
    t.chi2_per_dof = l.drift_chi2_per_dof;
    // χ² scales as 1/Q_s²: the traces' own error on Q_s widens the band (relative 2·se/Q), and
    // so does γ's, extrapolated from the traces' frequencies to the reads'.
    const double q_rel =
        l.q_s.value > 0 && std::isfinite(l.q_s.std_error) ? 2 * l.q_s.std_error / l.q_s.value : 0.0;
    double gamma_rel = 0;
    if (std::isfinite(r.spectrum.gamma_std_error))
      for (const LevelSpectrum& s : r.spectrum.levels)
        if (s.g_target_uS == l.g_target_uS)
          gamma_rel = trace_variance_dlog_dgamma(r.model, s, campaign) * r.spectrum.gamma_std_error;
    t.z = (t.chi2_per_dof - 1) /
          std::sqrt(2.0 / (static_cast<double>(r.num_times - 2) * static_cast<double>(l.num_used)) +
                    q_rel * q_rel + gamma_rel * gamma_rel);
    t.flagged = std::abs(t.z) > kTraceAgreementZ;
    if (t.flagged)
      off << (off.tellp() > 0 ? ", " : "") << t.g_target_uS << " uS (chi2/dof " << t.chi2_per_dof
          << ")";
    a.traces_vs_reads.push_back(t);
  }
  if (off.tellp() <= 0) return;
  const std::string what =
      "the read noise the traces measured disagrees with the reads' scatter about their drift "
      "lines at " +
      off.str();
  a.verdict = a.describes ? "does not describe the data: " + what : a.verdict + "; " + what;
  a.describes = false;
}

// Each level's own estimation errors, for the adequacy check's replicates (model_adequacy.h).
std::vector<LevelParameterErrors> level_errors(const CalibrationResult& r) {
  const auto se = [](const Estimate& e) {
    return e.identified && std::isfinite(e.std_error) ? e.std_error : 0.0;
  };
  std::vector<LevelParameterErrors> errors;
  for (const LevelFit& l : r.levels) {
    LevelParameterErrors e;
    e.g_target_uS = l.g_target_uS;
    e.sigma_prog_uS = se(l.sigma_prog_uS);
    e.mu_nu = se(l.mu_nu);
    e.sigma_nu = se(l.sigma_nu);
    e.log_q_s = l.q_s.value > 0 ? se(l.q_s) / l.q_s.value : 0.0;
    e.fitted = l.sigma_prog_uS.identified || l.mu_nu.identified || l.sigma_nu.identified;
    errors.push_back(e);
  }
  return errors;
}

// calibrate() without a holdout; on a campaign without reads below 0.
CalibrationResult calibrate_any_reads(const measurement::Campaign& campaign,
                                      const CalibrationOptions& options,
                                      const ProgressCallback& progress);
CalibrationResult calibrate_censored_reads(const measurement::Campaign& campaign,
                                           const CalibrationOptions& options,
                                           const ProgressCallback& progress);

}  // namespace

const char* gamma_source_name(GammaSource source) {
  switch (source) {
    case GammaSource::kNoiseTraces:
      return "noise traces";
    case GammaSource::kDriftResiduals:
      return "drift residuals";
    case GammaSource::kPrior:
      break;
  }
  return "prior";
}

void CalibrationOptions::validate() const {
  if (!(t0_s > 0) || !std::isfinite(t0_s)) throw InputError("", "t0_s", "must be > 0");
  if (!(censored_zero_fraction >= 0 && censored_zero_fraction < 1))
    throw InputError("", "censored_zero_fraction", "must be in [0, 1)");
  if (!(regression.reject_sigma > 3))
    throw InputError("", "regression.reject_sigma", "must be > 3");
  spectrum.validate("calibration options");
  adequacy.validate();
  prior.validate("prior model");
  if (!(holdout_from_s >= 0) || !std::isfinite(holdout_from_s))
    throw InputError("", "holdout_from_s", "must be a time > 0");
}

CalibrationResult calibrate(const measurement::Campaign& campaign,
                            const CalibrationOptions& options,
                            const ProgressCallback& progress) {
  if (!(options.holdout_from_s > 0)) return calibrate_any_reads(campaign, options, progress);
  // Fit on the early reads; the late ones are the model's prediction to check.
  const measurement::ReadTimeSplit split =
      measurement::split_reads_at(campaign, options.holdout_from_s);
  CalibrationResult result = calibrate_any_reads(split.before, options, progress);
  result.holdout_from_s = options.holdout_from_s;
  if (progress) progress({"held-out reads check", 0, 1});
  result.holdout =
      check_model_adequacy(split.after, result.model, options.adequacy, level_errors(result));
  return result;
}

namespace {

CalibrationResult calibrate_any_reads(const measurement::Campaign& campaign,
                                      const CalibrationOptions& options,
                                      const ProgressCallback& progress) {
  const Eigen::Index negative = campaign.num_negative_reads();
  if (negative == 0) return calibrate_censored_reads(campaign, options, progress);
  // A read below 0 is what a read of the model at 0 looks like with an instrument's offset: it
  // is censored at 0 like the model's own reads (a copy, only for such files).
  measurement::Campaign censored = campaign;
  for (Eigen::Index k = 0; k < censored.g_uS.size(); ++k)
    if (censored.g_uS.data()[k] < 0.0) censored.g_uS.data()[k] = 0.0;  // NaN (missing) stays
  CalibrationResult result = calibrate_censored_reads(censored, options, progress);
  result.num_negative_reads = negative;
  result.min_read_uS = campaign.min_read_uS();
  std::ostringstream note;
  note << negative << " read(s) below 0 uS (lowest " << result.min_read_uS
       << " uS) counted as 0, as the model's reads are censored at 0";
  result.warnings.insert(result.warnings.begin(), note.str());
  return result;
}

// What the fit needs beyond a valid file: reads after t0, drift as a slope in log t needs two
// read times, and a fit needs data. Errors: InputError naming the field.
void check_campaign_can_be_fitted(const measurement::Campaign& campaign,
                                  const CalibrationOptions& options,
                                  bool traces_only) {
  if (traces_only) return;
  const double t_min_s = campaign.time_s.minCoeff();
  if (t_min_s < options.t0_s) {
    std::ostringstream s;
    s << "first read at " << t_min_s << " s is before t0 = " << options.t0_s
      << " s (choose a smaller --t0)";
    throw InputError("", "/reads/time_s", s.str());
  }
  if (campaign.num_times() < 2)
    throw InputError("", "/reads/time_s", "one read time: fitting drift needs at least two");
  if (!campaign.g_uS.array().isFinite().any())
    throw InputError("", "/reads/g_uS", "no read (every value is NaN) and no noise traces");
  if ((campaign.g_uS.array() > 0.0).count() == 0)
    throw InputError("", "/reads/g_uS", "every read is 0 uS: nothing to fit");
}

// Levels whose reads are too often 0, or too noisy at the last read for a regression, are
// fitted as censored distributions (censored_level_fit.h).
std::vector<char> censored_levels(const measurement::Campaign& campaign,
                                  const std::vector<Level>& levels,
                                  const CalibrationResult& result,
                                  const device::PcmModel& noise_model,
                                  const CalibrationOptions& options) {
  std::vector<char> censored(levels.size());
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const Level& level = levels[k];
    const std::optional<Estimate> q_trace = trace_q_s(result.spectrum, level.g_target_uS);
    const double q_guess = q_trace ? q_trace->value : noise_model.q_s(level.g_target_uS);
    const double noise_at_end = q_guess * std::sqrt(noise_model.read_noise_band(result.t_max_s));
    censored[k] = level.g_target_uS <= 0 ||
                  zero_read_fraction(campaign, level) > options.censored_zero_fraction ||
                  noise_at_end > options.max_regression_read_noise;
  }
  return censored;
}

// The level of a campaign of noise traces alone: the traces' Q_s, nothing else.
LevelFit trace_only_level(const Level& level, const std::optional<Estimate>& q_s) {
  LevelFit l;
  l.g_target_uS = level.g_target_uS;
  l.num_devices = static_cast<Eigen::Index>(level.devices.size()) + level.num_not_converged;
  l.num_not_converged = level.num_not_converged;
  if (q_s) l.q_s = *q_s, l.q_s_source = ReadNoiseSource::kTraces;
  l.note = "no reads after programming: the traces give Q_s only";
  return l;
}

// Fits every level into result.levels. Without traces, γ and Q_s come from how the reads
// scatter about their drift lines (drift_residual_noise.h): a first pass under the prior's γ
// collects the residuals, and the levels are fitted again under the γ they give, which
// noise_model then holds.
void fit_levels(const measurement::Campaign& campaign,
                const CalibrationOptions& options,
                const ProgressCallback& progress,
                bool traces_only,
                bool gamma_from_residuals,
                device::PcmModel& noise_model,
                CalibrationResult& result) {
  const std::vector<Level> levels = group_levels(campaign);
  for (const Level& l : levels) result.num_not_converged += l.num_not_converged;
  const std::vector<char> censored =
      censored_levels(campaign, levels, result, noise_model, options);
  std::vector<DriftResiduals> residuals(levels.size());
  std::vector<std::optional<Estimate>> q_known(levels.size());
  for (std::size_t k = 0; k < levels.size(); ++k)
    q_known[k] = trace_q_s(result.spectrum, levels[k].g_target_uS);
  const auto fit_all = [&](bool collect) {
    result.levels.clear();
    std::int64_t done = 0;
    for (std::size_t k = 0; k < levels.size(); ++k) {
      const Level& level = levels[k];
      if (traces_only) {
        result.levels.push_back(trace_only_level(level, q_known[k]));
        continue;
      }
      result.levels.push_back(
          censored[k]
              ? fit_censored_level(campaign, level, noise_model, options.censored)
              : fit_level_by_regression(campaign, level, noise_model, q_known[k],
                                        options.regression, collect ? &residuals[k] : nullptr));
      done += static_cast<std::int64_t>(level.devices.size());
      if (progress) progress({"levels", done, result.num_devices});
    }
  };
  fit_all(gamma_from_residuals);
  if (!gamma_from_residuals) return;

  std::vector<DriftResiduals> regression;
  std::vector<std::size_t> index;
  for (std::size_t k = 0; k < levels.size(); ++k)
    if (!censored[k] && residuals[k].num_devices > 0) {
      regression.push_back(std::move(residuals[k]));
      index.push_back(k);
    }
  result.residual_noise = fit_drift_residual_noise(regression, noise_model);
  const DriftResidualNoiseFit& rf = result.residual_noise;
  if (!rf.available) return;
  noise_model.read_noise.gamma = rf.gamma.value;
  result.gamma_source = GammaSource::kDriftResiduals;
  result.q_s_dlog_dgamma.assign(levels.size(), 0.0);
  for (std::size_t u = 0; u < index.size(); ++u) {
    if (rf.q_s[u].identified) q_known[index[u]] = rf.q_s[u];
    result.q_s_dlog_dgamma[index[u]] = rf.dlog_q_dgamma[u];
  }
  fit_all(false);
  for (std::size_t u = 0; u < index.size(); ++u)
    if (rf.q_s[u].identified) result.levels[index[u]].q_s_source = ReadNoiseSource::kDriftResiduals;
  if (rf.p_value < 1e-3) {
    std::ostringstream w;
    w.precision(3);
    w << "the reads' scatter about their drift lines does not grow with time as 1/f^gamma "
         "read noise would (chi2 "
      << rf.chi2 << " on " << rf.dof << " dof, p " << rf.p_value << ")";
    result.warnings.push_back(w.str());
  }
}

// Where γ and Q_s came from, when not from a clean spectrum fit.
void add_read_noise_warnings(const measurement::Campaign& campaign,
                             bool gamma_from_residuals,
                             CalibrationResult& result) {
  if (result.spectrum.available && !result.spectrum.message.empty()) {
    std::string note = result.spectrum.message;  // "...; ...; " from the spectrum fit
    while (!note.empty() && (note.back() == ' ' || note.back() == ';')) note.pop_back();
    result.warnings.push_back("read-noise spectrum: " + note);
  }
  if (result.spectrum.available) return;
  std::string what = "gamma held at its prior, Q_s from drift residuals";
  if (result.gamma_source == GammaSource::kDriftResiduals)
    what = "gamma and Q_s from the growth of the drift residuals with time";
  else if (gamma_from_residuals)
    what += " (gamma from the residuals: " + result.residual_noise.message + ")";
  else if (!campaign.shared_times())
    what += " (gamma from the residuals needs read times shared by all devices)";
  result.warnings.push_back("read-noise spectrum not fitted (" + result.spectrum.message +
                            "): " + what);
}

// The coefficient curves through the levels' estimates (coefficient_curves.h): σ_prog against
// x = G/G_max, μ_ν, σ_ν and ln Q_s against u = ln max(x, x_floor).
void fit_coefficient_curves(double g_max_uS,
                            const device::PcmModel& prior,
                            bool traces_only,
                            CalibrationResult& result) {
  std::vector<CurvePoint> prog, mu, sigma, log_q;
  std::vector<double> log_q_shift;  // d ln Q_s/dγ of each log_q point (γ from drift residuals)
  for (const LevelFit& l : result.levels) {
    const double x = l.g_target_uS / g_max_uS;
    const double u = std::log(std::max(x, prior.x_floor));
    if (l.sigma_prog_uS.identified)
      prog.push_back({x, l.sigma_prog_uS.value, l.sigma_prog_uS.std_error});
    if (l.mu_nu.identified) mu.push_back({u, l.mu_nu.value, l.mu_nu.std_error});
    if (l.sigma_nu.identified) sigma.push_back({u, l.sigma_nu.value, l.sigma_nu.std_error});
    if (l.q_s.identified && l.q_s.value > 0) {
      log_q.push_back({u, std::log(l.q_s.value), l.q_s.std_error / l.q_s.value});
      const auto k = static_cast<std::size_t>(&l - result.levels.data());
      log_q_shift.push_back(k < result.q_s_dlog_dgamma.size() ? result.q_s_dlog_dgamma[k] : 0.0);
    }
  }
  if (prog.empty() && mu.empty() && !(traces_only && !log_q.empty()))
    throw RunError(traces_only
                       ? "no level's traces could be fitted (" + result.spectrum.message + ")"
                       : "no level could be fitted (too few usable devices per target)");
  const auto& pn = prior.programming_noise;
  const auto& de = prior.drift_exponent;
  const auto& rn = prior.read_noise;
  result.programming_curve = fit_quadratic(prog, {pn.c0_uS, pn.c1_uS, pn.c2_uS});
  // The zero level sits at u = ln x_floor, a convention: a plateau point, never a line point.
  const double u_floor = std::log(prior.x_floor) + 1e-9;
  result.mu_curve = fit_clipped_line(mu, {de.a0, de.a1, de.mu_min, de.mu_max}, true, u_floor);
  // Levels whose μ_ν sits at its bound 0 have no error to weigh them by; when they are all the
  // levels say about μ_ν, the curve is that bound (not the prior's drift).
  const auto at_bound = [](const Estimate& e) { return e.rule.rfind("at bound 0", 0) == 0; };
  const auto mu_at_bound = std::count_if(result.levels.begin(), result.levels.end(),
                                         [&](const LevelFit& l) { return at_bound(l.mu_nu); });
  if (mu.empty() && mu_at_bound > 0) {
    const std::string rule = "constant curve: every level's mu_nu is at its bound 0";
    for (int k = 0; k < 3; ++k)
      result.mu_curve.coefficients[static_cast<std::size_t>(k)] = {0.0, NAN, false, rule};
    result.mu_curve.shape = "constant at the bound 0";
  }
  result.sigma_curve =
      fit_clipped_line(sigma, {de.b0, de.b1, de.sigma_min, de.sigma_max}, true, u_floor);
  const std::vector<double> q_prior = {std::log(rn.q0), -rn.alpha, -1e300, std::log(rn.q_max)};
  result.q_curve = fit_clipped_line(log_q, q_prior, false, u_floor);
  // Q_s from drift residuals carry γ's error together (one γ moves every level's Q_s): the curve
  // refitted with γ one standard error away adds that shift to each coefficient's error.
  if (result.gamma_source == GammaSource::kDriftResiduals) {
    std::vector<CurvePoint> shifted = log_q;
    for (std::size_t k = 0; k < shifted.size(); ++k)
      shifted[k].value += log_q_shift[k] * result.residual_noise.gamma.std_error;
    const CurveFit moved = fit_clipped_line(shifted, q_prior, false, u_floor);
    for (std::size_t k = 0; k < result.q_curve.coefficients.size(); ++k) {
      Estimate& e = result.q_curve.coefficients[k];
      const Estimate& m = moved.coefficients[k];
      if (e.identified && m.identified && std::isfinite(m.value))
        e.std_error = std::hypot(e.std_error, m.value - e.value);
    }
  }
}

// result.coefficients: the curves' estimates in the order and with the names of
// device::coefficients(), each with the prior's value beside it.
void take_coefficients(const device::PcmModel& prior, CalibrationResult& result) {
  const auto& pc = result.programming_curve.coefficients;
  const auto& mc = result.mu_curve.coefficients;
  const auto& sc = result.sigma_curve.coefficients;
  // Q_s was fitted in logs: q0 = e^p0, α = −p1, q_max = e^hi (delta-method errors).
  const auto& qc = result.q_curve.coefficients;
  const auto exp_estimate = [](const Estimate& e) {
    return Estimate{std::exp(e.value), std::exp(e.value) * e.std_error, e.identified, e.rule};
  };
  Estimate gamma;
  if (result.gamma_source == GammaSource::kNoiseTraces)
    gamma = {result.spectrum.gamma, result.spectrum.gamma_std_error, true, ""};
  else if (result.gamma_source == GammaSource::kDriftResiduals)
    gamma = result.residual_noise.gamma;
  const Estimate estimates[] = {
      pc[0],
      pc[1],
      pc[2],  // programming_noise c0_uS, c1_uS, c2_uS
      mc[0],
      mc[1],
      mc[2],
      mc[3],  // drift_exponent a0, a1, mu_min, mu_max
      sc[0],
      sc[1],
      sc[2],
      sc[3],                // drift_exponent b0, b1, sigma_min, sigma_max
      exp_estimate(qc[0]),  // read_noise q0
      Estimate{-qc[1].value, qc[1].std_error, qc[1].identified, qc[1].rule},  // alpha
      exp_estimate(qc[3]),                                                    // q_max
      gamma};
  device::PcmModel copy = prior;
  const std::vector<device::Coefficient> named = device::coefficients(copy);
  PCMKIT_CHECK(named.size() == std::size(estimates), "coefficient count");
  for (std::size_t k = 0; k < named.size(); ++k)
    take(result, named[k].name, estimates[k], *named[k].value);
}

// The fitted model: the levels' noise model (this campaign's constants) with every coefficient,
// γ included, from result.coefficients. Errors: RunError when it leaves the model's valid ranges.
device::PcmModel fitted_model(const device::PcmModel& noise_model,
                              const CalibrationResult& result) {
  device::PcmModel model = noise_model;
  model.description = "fitted by pcmkit calibrate";
  std::vector<device::Coefficient> named = device::coefficients(model);
  for (std::size_t k = 0; k < named.size(); ++k) {
    PCMKIT_CHECK(named[k].name == result.coefficients[k].name, "coefficient order");
    *named[k].value = result.coefficients[k].estimate.value;
  }
  try {
    model.validate("fitted model");
  } catch (const InputError& e) {
    throw RunError(std::string("the fitted model is out of range: ") + e.what());
  }
  return model;
}

CalibrationResult calibrate_censored_reads(const measurement::Campaign& campaign,
                                           const CalibrationOptions& options,
                                           const ProgressCallback& progress) {
  const ScopedQuietCeres quiet;
  options.validate();
  CalibrationResult result;
  result.num_devices = campaign.num_devices();
  result.num_times = campaign.num_times();
  result.t_min_s = campaign.time_s.minCoeff();
  result.t_max_s = campaign.time_s.maxCoeff();
  // A campaign of noise traces alone (no read after programming) gives the read noise only.
  const bool traces_only =
      !campaign.g_uS.array().isFinite().any() && campaign.noise && campaign.noise->g_uS.rows() > 0;
  check_campaign_can_be_fitted(campaign, options, traces_only);
  if (campaign.noise) result.num_traces = campaign.noise->g_uS.rows();

  // The model the levels are fitted under: the prior, with this campaign's constants.
  device::PcmModel noise_model = options.prior;
  noise_model.g_max_uS = campaign.g_max_uS;
  noise_model.t_read_s = campaign.t_read_s;
  noise_model.t0_s = options.t0_s;

  if (progress) progress({"read-noise spectra", 0, result.num_traces});
  result.spectrum = fit_read_noise_spectrum(campaign, options.spectrum);
  const bool gamma_identified =
      result.spectrum.available && std::isfinite(result.spectrum.gamma_std_error);
  if (gamma_identified) noise_model.read_noise.gamma = result.spectrum.gamma;
  result.gamma_source = gamma_identified ? GammaSource::kNoiseTraces : GammaSource::kPrior;
  const bool gamma_from_residuals = !gamma_identified && campaign.shared_times() && !traces_only;
  fit_levels(campaign, options, progress, traces_only, gamma_from_residuals, noise_model, result);
  add_read_noise_warnings(campaign, gamma_from_residuals, result);

  fit_coefficient_curves(campaign.g_max_uS, options.prior, traces_only, result);
  if (traces_only)
    result.warnings.push_back(
        "the campaign holds noise traces only: gamma and Q_s are fitted, every other coefficient "
        "is the prior's (not identified), and there are no reads to check the model against");
  take_coefficients(options.prior, result);
  result.model = fitted_model(noise_model, result);

  if (options.check_adequacy && !traces_only) {
    if (progress) progress({"adequacy check", 0, 1});
    result.adequacy =
        check_model_adequacy(campaign, result.model, options.adequacy, level_errors(result));
    check_traces_against_reads(result, campaign);
  }
  return result;
}

}  // namespace

}  // namespace pcmkit::calibration
