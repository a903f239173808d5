#include "pcmkit/calibration/model_export.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/version.h"
#include "pcmkit/device/pcm_model_json.h"

namespace pcmkit::calibration {
namespace {

using json = nlohmann::ordered_json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json curve_json(const CurveFit& c, const std::vector<std::string>& names) {
  json j;
  j["shape"] = c.shape;
  json rules = json::object();
  for (std::size_t k = 0; k < c.coefficients.size() && k < names.size(); ++k)
    if (!c.coefficients[k].rule.empty() && !names[k].empty())
      rules[names[k]] = c.coefficients[k].rule;
  j["set_by_rule"] = rules;
  j["chi2"] = number_or_null(c.chi2);
  j["dof"] = c.dof;
  j["chi2_per_dof"] = c.dof > 0 ? number_or_null(c.chi2 / c.dof) : json(nullptr);
  j["converged"] = c.converged;
  return j;
}

const char* method_name(LevelMethod m) {
  return m == LevelMethod::kDriftRegression ? "drift_regression" : "censored_moments";
}

const char* source_name(ReadNoiseSource s) {
  switch (s) {
    case ReadNoiseSource::kTraces:
      return "traces";
    case ReadNoiseSource::kDriftResiduals:
      return "drift_residuals";
    case ReadNoiseSource::kCensoredMoments:
      return "censored_moments";
    case ReadNoiseSource::kNone:
      break;
  }
  return "none";
}

std::string format(const char* fmt, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// The adequacy check's verdict and every cell, as JSON.
json adequacy_json(const AdequacyResult& a) {
  json aj;
  aj["describes_the_data"] = a.describes;
  aj["verdict"] = a.verdict;
  aj["statistic"] = "Kolmogorov-Smirnov distance per (level, time), standardised by replicates";
  aj["replicates"] = a.replicates;
  aj["false_alarm"] = a.false_alarm;
  aj["threshold_z"] = number_or_null(a.threshold_z);
  aj["max_z"] = number_or_null(a.max_z);
  json checked_levels = json::object();
  for (const LevelAdequacy& l : a.levels) {
    if (!l.checked) continue;
    json lj;
    lj["describes"] = l.describes;
    lj["max_z"] = number_or_null(l.max_z);
    lj["flagged_times_s"] = l.flagged_times_s;
    json cells = json::object();
    for (const CellAdequacy& c : a.cells)
      if (c.g_target_uS == l.g_target_uS) {
        json cj;
        cj["reads"] = c.reads;
        cj["ks_distance"] = number_or_null(c.ks_distance);
        cj["z"] = number_or_null(c.z);
        cj["mean_error_se"] = number_or_null(c.mean_error);
        cj["spread_ratio"] = number_or_null(c.spread_ratio);
        cj["flagged"] = c.flagged;
        cells[format("%.6g", c.t_s)] = cj;
      }
    lj["times"] = cells;
    checked_levels[format("%.6g", l.g_target_uS)] = lj;
  }
  aj["levels"] = checked_levels;
  json not_checked = json::object();
  for (const LevelAdequacy& l : a.levels)
    if (!l.checked) not_checked[format("%.6g", l.g_target_uS)] = l.not_checked;
  aj["levels_not_checked"] = not_checked;
  json traces = json::object();
  for (const TraceAgreement& t : a.traces_vs_reads)
    traces[format("%.6g", t.g_target_uS)] = {{"drift_chi2_per_dof", number_or_null(t.chi2_per_dof)},
                                             {"z", number_or_null(t.z)},
                                             {"flagged", t.flagged}};
  aj["traces_vs_reads"] = traces;
  return aj;
}

}  // namespace

std::string calibration_json(const CalibrationResult& r, const Provenance& p) {
  std::map<std::string, device::CoefficientUncertainty> uncertainty;
  for (const CoefficientFit& c : r.coefficients)
    uncertainty[c.name] = {c.estimate.std_error, c.estimate.identified};
  json j = json::parse(device::model_to_json(r.model, uncertainty));

  json gof;
  gof["programming_noise"] = curve_json(r.programming_curve, {"c0_uS", "c1_uS", "c2_uS"});
  gof["mu_nu"] = curve_json(r.mu_curve, {"a0", "a1", "mu_min", "mu_max"});
  gof["sigma_nu"] = curve_json(r.sigma_curve, {"b0", "b1", "sigma_min", "sigma_max"});
  gof["q_s"] = curve_json(r.q_curve, {"q0", "alpha", "", "q_max"});
  gof["read_noise_spectrum_chi2_per_dof"] =
      r.spectrum.available ? number_or_null(r.spectrum.chi2_per_dof) : json(nullptr);
  // Where γ came from; without traces, the test of the residuals' growth with time.
  gof["gamma_source"] = gamma_source_name(r.gamma_source);
  if (r.gamma_source == GammaSource::kDriftResiduals) {
    const DriftResidualNoiseFit& d = r.residual_noise;
    gof["drift_residual_noise"] = {{"gamma", number_or_null(d.gamma.value)},
                                   {"gamma_std_error", number_or_null(d.gamma.std_error)},
                                   {"chi2", number_or_null(d.chi2)},
                                   {"dof", d.dof},
                                   {"p_value", number_or_null(d.p_value)}};
  }
  json levels = json::array();
  for (const LevelFit& l : r.levels) {
    json lj;
    lj["g_target_uS"] = l.g_target_uS;
    lj["method"] = method_name(l.method);
    lj["num_used"] = l.num_used;
    lj["num_rejected"] = l.num_rejected;
    lj["rejected"] = {{"incomplete", l.rejected.incomplete},
                      {"too_few_reads", l.rejected.too_few_reads},
                      {"outlier_g_prog", l.rejected.outlier_g_prog},
                      {"outlier_nu", l.rejected.outlier_nu},
                      {"outlier_chi2", l.rejected.outlier_chi2},
                      {"outlier_mean_read", l.rejected.outlier_mean_read}};
    if (!l.note.empty()) lj["note"] = l.note;
    lj["num_not_converged"] = l.num_not_converged;
    lj["sigma_prog_uS"] = number_or_null(l.sigma_prog_uS.value);
    lj["mu_nu"] = number_or_null(l.mu_nu.value);
    lj["sigma_nu"] = number_or_null(l.sigma_nu.value);
    lj["q_s"] = number_or_null(l.q_s.value);
    lj["q_s_source"] = source_name(l.q_s_source);
    lj["drift_chi2_per_dof"] = number_or_null(l.drift_chi2_per_dof);
    lj["mean_offset_uS"] = number_or_null(l.mean_offset_uS);
    levels.push_back(lj);
  }
  gof["levels"] = levels;
  j["goodness_of_fit"] = gof;

  json prov;
  prov["generator"] = std::string("pcmkit ") + kVersion;
  prov["input_file"] = p.input_file;
  prov["input_sha256"] = p.input_sha256;
  prov["num_devices"] = r.num_devices;
  prov["num_not_converged"] = r.num_not_converged;
  prov["num_levels"] = r.levels.size();
  prov["num_times"] = r.num_times;
  prov["num_traces"] = r.num_traces;
  prov["num_negative_reads"] = r.num_negative_reads;  // counted as 0
  prov["min_read_uS"] = r.min_read_uS;
  prov["time_span_s"] = {r.t_min_s, r.t_max_s};
  prov["t0_s"] = p.t0_s;
  prov["prior"] = p.prior;
  j["provenance"] = prov;
  if (r.adequacy) j["adequacy"] = adequacy_json(*r.adequacy);
  if (r.holdout) {
    json hj = adequacy_json(*r.holdout);
    hj["fitted_before_s"] = r.holdout_from_s;
    hj["verdict"] = prediction_verdict(*r.holdout);
    hj.erase("traces_vs_reads");
    j["holdout"] = hj;
  }
  return j.dump(2) + "\n";
}

void write_calibration_json(const CalibrationResult& result,
                            const Provenance& provenance,
                            const std::filesystem::path& path) {
  write_text_atomically(path, calibration_json(result, provenance));
}

std::string coefficient_table(const CalibrationResult& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %13s %11s %13s  %s\n", "coefficient", "fitted",
                "std_error", "prior", "status");
  out += line;
  for (const CoefficientFit& c : r.coefficients) {
    std::string status = c.estimate.identified ? "fitted" : "not identified (prior kept)";
    if (!c.estimate.identified && !c.estimate.rule.empty())
      status =
          c.estimate.rule +
          (c.estimate.rule.find("not identified") == std::string::npos ? " (not identified)" : "");
    std::snprintf(line, sizeof line, "%-26s %13.6g %11s %13.6g  %s\n", c.name.c_str(),
                  c.estimate.value,
                  c.estimate.identified ? format("%.3g", c.estimate.std_error).c_str() : "-",
                  c.prior, status.c_str());
    out += line;
  }
  return out;
}

std::string level_table(const CalibrationResult& r) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "%9s %-17s %8s %6s %18s %18s %18s %18s %7s\n", "G_T_uS",
                "method", "used", "rej", "sigma_prog_uS", "mu_nu", "sigma_nu", "Q_s", "chi2/dof");
  out += line;
  auto pm = [](const Estimate& e, const char* fmt) {
    if (!e.identified && e.rule.rfind("at ", 0) == 0 && std::isfinite(e.value))
      return format(fmt, e.value) + " at bound";  // never "± 0"
    if (!e.identified) return std::string("-");
    return format(fmt, e.value) + "±" + format("%.2g", e.std_error);
  };
  for (const LevelFit& l : r.levels) {
    std::snprintf(line, sizeof line, "%9.4g %-17s %8lld %6lld %18s %18s %18s %18s %7s\n",
                  l.g_target_uS, method_name(l.method), static_cast<long long>(l.num_used),
                  static_cast<long long>(l.num_rejected), pm(l.sigma_prog_uS, "%.4f").c_str(),
                  pm(l.mu_nu, "%.5f").c_str(), pm(l.sigma_nu, "%.5f").c_str(),
                  pm(l.q_s, "%.5f").c_str(),
                  l.q_s_source == ReadNoiseSource::kDriftResiduals
                      ? "n/a"
                      : format("%.3f", l.drift_chi2_per_dof).c_str());
    out += line;
  }
  out +=
      "  chi2/dof: reads about each device's drift line against the read noise the traces "
      "measured (a censored level: Hansen's J per dof); n/a where Q_s was fitted to make it 1\n";
  if (r.gamma_source == GammaSource::kDriftResiduals) {
    const DriftResidualNoiseFit& d = r.residual_noise;
    std::snprintf(line, sizeof line,
                  "  no traces: gamma %.4f +- %.2g and Q_s from the growth of the drift residuals "
                  "with time (chi2 %.1f on %d dof, p %.2g)\n",
                  d.gamma.value, d.gamma.std_error, d.chi2, d.dof, d.p_value);
    out += line;
  }
  for (const LevelFit& l : r.levels) {
    const std::string reasons = l.rejected.text();
    if (!reasons.empty() || !l.note.empty()) {
      std::snprintf(line, sizeof line, "  level %.4g uS: %s%s%s\n", l.g_target_uS,
                    reasons.empty() ? "" : ("rejected " + reasons).c_str(),
                    !reasons.empty() && !l.note.empty() ? "; " : "", l.note.c_str());
      out += line;
    }
  }
  return out;
}

}  // namespace pcmkit::calibration
