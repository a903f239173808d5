#include "pcmkit/calibration/calibration_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "pcmkit/calibration/model_export.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/detail/gnuplot.h"

namespace pcmkit::calibration {
namespace {

namespace fs = std::filesystem;

std::string num(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

// Per-level points of one statistic, with a fine grid of the fitted curve: "x y se" blocks.
std::string curve_data(const CalibrationResult& r,
                       const Estimate LevelFit::*member,
                       double (device::PcmModel::*curve)(double) const) {
  std::ostringstream s;
  s << "# G_T_uS estimate std_error\n";
  bool any = false;
  for (const LevelFit& l : r.levels) {
    const Estimate& e = l.*member;
    if (e.identified)
      s << num(l.g_target_uS) << ' ' << num(e.value) << ' ' << num(e.std_error) << '\n';
    any = any || e.identified;
  }
  // gnuplot does not count a block without a data line, so the curve would not be index 1.
  if (!any) s << "nan nan nan\n";
  s << "\n\n# G_T_uS fitted_curve\n";
  const double g_max = r.model.g_max_uS;
  for (int i = 0; i <= 400; ++i) {
    const double g = i == 0 ? 0.0 : g_max * std::pow(10.0, -4.0 + 4.0 * i / 400);
    s << num(g) << ' ' << num((r.model.*curve)(g)) << '\n';
  }
  return s.str();
}

std::string spectra_data(const CalibrationResult& r) {
  std::ostringstream s;
  for (const LevelSpectrum& l : r.spectrum.levels) {
    s << "# G_T_uS = " << num(l.g_target_uS) << ": f_Hz psd_per_Hz std_error model_per_Hz\n";
    for (Eigen::Index k = 0; k < l.f_Hz.size(); ++k)
      s << num(l.f_Hz[k]) << ' ' << num(l.psd_per_Hz[k]) << ' ' << num(l.psd_std_error[k]) << ' '
        << num(k < l.psd_model_per_Hz.size() ? l.psd_model_per_Hz[k] : NAN) << '\n';
    s << "\n\n";
  }
  return s.str();
}

std::string levels_csv(const CalibrationResult& r) {
  std::ostringstream s;
  s << "g_target_uS,method,num_used,num_rejected,num_not_converged,sigma_prog_uS,"
       "sigma_prog_uS_se,mu_nu,mu_nu_se,sigma_nu,sigma_nu_se,q_s,q_s_se,drift_chi2_per_dof,"
       "mean_offset_uS\n";
  for (const LevelFit& l : r.levels) {
    s << num(l.g_target_uS) << ','
      << (l.method == LevelMethod::kDriftRegression ? "drift_regression" : "censored_moments")
      << ',' << l.num_used << ',' << l.num_rejected << ',' << l.num_not_converged;
    for (const Estimate* e : {&l.sigma_prog_uS, &l.mu_nu, &l.sigma_nu, &l.q_s})
      s << ',' << (e->identified ? num(e->value) : "") << ','
        << (e->identified ? num(e->std_error) : "");
    s << ',' << num(l.drift_chi2_per_dof) << ',' << num(l.mean_offset_uS) << '\n';
  }
  return s.str();
}

std::string coefficients_csv(const CalibrationResult& r) {
  std::ostringstream s;
  s << "coefficient,value,std_error,prior,identified\n";
  for (const CoefficientFit& c : r.coefficients)
    s << c.name << ',' << num(c.estimate.value) << ','
      << (c.estimate.identified ? num(c.estimate.std_error) : "") << ',' << num(c.prior) << ','
      << (c.estimate.identified ? "true" : "false") << '\n';
  return s.str();
}

const char* kStyle =
    "set terminal pngcairo size 900,600 font 'DejaVu Sans,11'\n"
    "set grid\nset key top right\n";

std::string points_and_curve(const std::string& data,
                             const std::string& title,
                             const std::string& ylabel,
                             bool log_x,
                             bool log_y,
                             bool with_points) {
  std::ostringstream s;
  s << kStyle << "set title '" << title << "'\nset xlabel 'target conductance G_T (µS)'\n"
    << "set ylabel '" << ylabel << "'\n";
  // On a log axis the G_T = 0 level is drawn at the left edge, 0.03 µS, and labelled so.
  std::string x = "1";
  if (log_x) {
    s << "set logscale x\nset xrange [0.02:*]\n"
      << "set label 'G_T = 0 drawn at 0.03 µS' at graph 0.02, graph 0.04 font ',9'\n";
    x = "($1 > 0 ? $1 : 0.03)";
  }
  if (log_y) s << "set logscale y\n";
  // No level identified (e.g. every μ_ν at its bound 0): the curve alone, and the key says why.
  s << "plot ";
  if (with_points)
    s << "'" << data << "' index 0 using " << x << ":2:3 with yerrorbars pt 7 lc rgb '#1f77b4' "
      << "title 'per-level estimate ± 1 s.e.', ";
  s << "'" << data << "' index 1 using 1:2 with lines lw 2 lc rgb '#d62728' title 'fitted model"
    << (with_points ? "" : " (no level identified this quantity)") << "'\n";
  return s.str();
}

std::string spectra_script(const CalibrationResult& r) {
  std::ostringstream s;
  s << kStyle
    << "set title 'Read-noise spectra of the relative fluctuation (γ = " << num(r.spectrum.gamma)
    << ")'\nset xlabel 'frequency (Hz)'\nset ylabel 'PSD (1/Hz)'\n"
    << "set logscale xy\nset key outside right\nplot ";
  for (std::size_t i = 0; i < r.spectrum.levels.size(); ++i) {
    const LevelSpectrum& l = r.spectrum.levels[i];
    if (i) s << ", \\\n  ";
    s << "'spectra.dat' index " << i << " using 1:2:3 with yerrorbars pt 7 ps 0.6 lc " << i + 1
      << " title 'G_T = " << num(l.g_target_uS) << " µS', '' index " << i
      << " using 1:4 with lines lc " << i + 1 << " notitle";
  }
  s << "\n";
  return s.str();
}

// Per checked level (one gnuplot index each): t, measured 5/50/95% quantiles, predicted 5/50/95%,
// flagged (0/1).
// Which estimator gave what, and how its standard errors were computed (issue #15).
std::string estimators_text(const CalibrationResult& r) {
  std::vector<std::string> regression, censored;
  for (const LevelFit& l : r.levels)
    (l.method == LevelMethod::kDriftRegression ? regression : censored)
        .push_back(num(l.g_target_uS));
  const auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + v[k];
    return s + " µS";
  };
  std::ostringstream s;
  if (!regression.empty())
    s << "- Levels " << list(regression)
      << ": per-device weighted drift regressions, then moments of the per-device estimates with "
         "their estimation noise subtracted; errors by the delta method over the devices' sample "
         "covariance.\n";
  if (!censored.empty())
    s << "- Levels " << list(censored)
      << " (reads reach 0): method of moments on the population of reads (E g, E g·g, "
         "P(g = 0)), each moment weighted by its own s.d.; errors by the sandwich with the "
         "moments' covariance; the χ²/dof column is the generalised J per dof.\n";
  if (r.gamma_source == GammaSource::kNoiseTraces)
    s << "- Read noise: γ and Q_s from the traces' spectra (errors: sandwich over traces).\n";
  else if (r.gamma_source == GammaSource::kDriftResiduals)
    s << "- Read noise: no traces; γ and Q_s from the growth of the drift residuals with time "
         "(joint moment fit over levels, sandwich errors; J test p = "
      << num(r.residual_noise.p_value) << "); γ's error is carried into the Q_s curve.\n";
  else
    s << "- Read noise: γ not estimated (held at the prior's value); Q_s from each level's "
         "residuals.\n";
  s << "- Curves: Ceres fits through the level estimates (covariance from Ceres); where another "
       "split of the levels into plateaus and line fits about as well, the coefficients it "
       "leaves open are not identified and the others carry its error too.\n";
  return s.str();
}

std::string adequacy_data(const AdequacyResult& a) {
  std::ostringstream s;
  s << "# t_s measured_q05 q50 q95 predicted_q05 q50 q95 flagged z spread_ratio mean_error_se\n";
  bool first = true;
  for (const LevelAdequacy& l : a.levels) {
    if (!l.checked) continue;
    if (!first) s << "\n\n";
    first = false;
    s << "# level " << num(l.g_target_uS) << " uS\n";
    for (const CellAdequacy& c : a.cells)
      if (c.g_target_uS == l.g_target_uS)
        s << num(c.t_s) << ' ' << num(c.measured_quantiles_uS[0]) << ' '
          << num(c.measured_quantiles_uS[2]) << ' ' << num(c.measured_quantiles_uS[4]) << ' '
          << num(c.predicted_quantiles_uS[0]) << ' ' << num(c.predicted_quantiles_uS[2]) << ' '
          << num(c.predicted_quantiles_uS[4]) << ' ' << (c.flagged ? 1 : 0) << ' ' << num(c.z)
          << ' ' << num(c.spread_ratio) << ' ' << num(c.mean_error) << '\n';
  }
  return s.str();
}

std::string adequacy_script(const AdequacyResult& a,
                            const std::string& data = "adequacy.dat",
                            const std::string& what = "the fitted model") {
  std::ostringstream s;
  s << kStyle << "set title 'Measured (points: median, bars: 5–95%) against " << what
    << " (lines), per level; circles: flagged'\nset xlabel 'time after programming (s)'\n"
    << "set ylabel 'conductance (µS)'\nset logscale x\nset key off\nplot ";
  int index = 0;
  for (const LevelAdequacy& l : a.levels) {
    if (!l.checked) continue;
    if (index) s << ", \\\n  ";
    const int colour = index % 8 + 1;
    s << "'" << data << "' index " << index << " using 1:3:2:4 with yerrorbars pt 7 ps 0.5 lc "
      << colour << ", '' index " << index << " using 1:6 with lines lw 2 lc " << colour
      << ", '' index " << index << " using 1:5 with lines dt 2 lc " << colour << ", '' index "
      << index << " using 1:7 with lines dt 2 lc " << colour << ", '' index " << index
      << " using 1:($8 > 0 ? $3 : 1/0) with points pt 6 ps 2.5 lw 2 lc rgb '#d62728'";
    ++index;
  }
  s << "\n";
  return s.str();
}

// Every (level, time) cell's z against the family-wise threshold: where the model fails, at a
// glance (a line per level, coloured by G_T).
std::string adequacy_z_script(const AdequacyResult& a, const std::string& data) {
  std::ostringstream s;
  s << kStyle << "set title 'Distance of measured from predicted distribution per (level, time): "
    << "z, and the " << num(100 * a.false_alarm) << "% family-wise threshold'\n"
    << "set xlabel 'time after programming (s)'\nset ylabel 'z (KS distance, standardised)'\n"
    << "set logscale x\nset key off\nset cblabel 'G_T (µS)'\nset palette rgb 33,13,10\n"
    << "plot " << num(a.threshold_z) << " with lines lw 2 dt 2 lc rgb '#d62728'";
  int index = 0;
  for (const LevelAdequacy& l : a.levels) {
    if (!l.checked) continue;
    s << ", \\\n  '" << data << "' index " << index << " using 1:9:(" << num(l.g_target_uS)
      << ") with linespoints pt 7 ps 0.6 lc palette";
    ++index;
  }
  s << "\n";
  return s.str();
}
}  // namespace

ReportFiles add_calibration_report(const CalibrationResult& r,
                                   const fs::path& dir,
                                   OutputSet& outputs) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw RunError(dir.string() + ": cannot create the report directory");
  ReportFiles files;
  files.dir = dir;
  outputs.add_text(dir / "levels.csv", levels_csv(r));
  outputs.add_text(dir / "coefficients.csv", coefficients_csv(r));
  outputs.add_text(dir / "programming_noise.dat",
                   curve_data(r, &LevelFit::sigma_prog_uS, &device::PcmModel::sigma_prog_uS));
  outputs.add_text(dir / "mu_nu.dat", curve_data(r, &LevelFit::mu_nu, &device::PcmModel::mu_nu));
  outputs.add_text(dir / "sigma_nu.dat",
                   curve_data(r, &LevelFit::sigma_nu, &device::PcmModel::sigma_nu));
  outputs.add_text(dir / "q_s.dat", curve_data(r, &LevelFit::q_s, &device::PcmModel::q_s));

  struct Figure {
    std::string name, script;
  };
  const auto any = [&](const Estimate LevelFit::*member) {
    return std::any_of(r.levels.begin(), r.levels.end(),
                       [&](const LevelFit& l) { return (l.*member).identified; });
  };
  std::vector<Figure> figures = {
      {"programming_noise",
       points_and_curve("programming_noise.dat", "Programming noise", "σ_prog (µS)", false, false,
                        any(&LevelFit::sigma_prog_uS))},
      {"mu_nu", points_and_curve("mu_nu.dat", "Drift exponent: location μ_ν", "μ_ν", true, false,
                                 any(&LevelFit::mu_nu))},
      {"sigma_nu", points_and_curve("sigma_nu.dat", "Drift exponent: spread σ_ν", "σ_ν", true,
                                    false, any(&LevelFit::sigma_nu))},
      {"q_s",
       points_and_curve("q_s.dat", "Read noise Q_s", "Q_s", true, true, any(&LevelFit::q_s))}};
  if (r.spectrum.available) {
    outputs.add_text(dir / "spectra.dat", spectra_data(r));
    figures.push_back({"spectra", spectra_script(r)});
  }
  if (r.adequacy && !r.adequacy->cells.empty()) {
    outputs.add_text(dir / "adequacy.dat", adequacy_data(*r.adequacy));
    figures.push_back({"adequacy", adequacy_script(*r.adequacy)});
    figures.push_back({"adequacy_z", adequacy_z_script(*r.adequacy, "adequacy.dat")});
  }
  if (r.holdout && !r.holdout->cells.empty()) {
    outputs.add_text(dir / "holdout.dat", adequacy_data(*r.holdout));
    figures.push_back({"holdout", adequacy_script(*r.holdout, "holdout.dat",
                                                  "the prediction of the model fitted before " +
                                                      num(r.holdout_from_s) + " s")});
  }
  for (const Figure& f : figures) {
    outputs.add_text(dir / (f.name + ".gp"), "set output '" + f.name + ".png'\n" + f.script);
    files.figure_names.push_back(f.name);
  }
  // An earlier report's optional figures describe other data: gone when this one has none.
  for (const std::string optional : {"spectra", "adequacy", "adequacy_z", "holdout"})
    if (std::find(files.figure_names.begin(), files.figure_names.end(), optional) ==
        files.figure_names.end())
      for (const char* ext : {".dat", ".gp", ".png"})
        outputs.remove_at_commit(dir / (optional + ext));
  const bool gnuplot = have_gnuplot();
  for (const std::string& name : files.figure_names) {
    if (outputs.add_figure(dir / (name + ".png"), name + ".gp"))
      files.figures.push_back(dir / (name + ".png"));
    else if (gnuplot)
      files.figures_skipped = "gnuplot failed on " + name + ".gp";
  }
  if (!gnuplot) files.figures_skipped = "gnuplot not installed: figures not drawn";

  std::ostringstream md;
  md << "# PCM model calibration report\n\n"
     << r.num_devices << " devices (" << r.num_not_converged << " flagged not converged), "
     << r.num_times << " reads each from " << num(r.t_min_s) << " s to " << num(r.t_max_s) << " s, "
     << r.num_traces << " noise traces.\n\n## Coefficients\n\n```\n"
     << coefficient_table(r) << "```\n\n## Levels\n\n```\n"
     << level_table(r) << "```\n\n";
  md << "## Estimators\n\n" << estimators_text(r) << "\n";
  md << "Goodness of fit (χ²/dof of the curves through the level estimates; ≈ 1 is good):\n\n";
  auto gof = [&](const char* name, const CurveFit& c) {
    md << "- " << name << ": " << (c.dof > 0 ? num(c.chi2 / c.dof) : std::string("-")) << " ("
       << c.dof << " dof)\n";
  };
  gof("σ_prog", r.programming_curve);
  gof("μ_ν", r.mu_curve);
  gof("σ_ν", r.sigma_curve);
  gof("Q_s", r.q_curve);
  if (r.spectrum.available) md << "- trace spectra: " << num(r.spectrum.chi2_per_dof) << "\n";
  if (r.adequacy)
    md << "\n## Adequacy\n\nThe fitted model, simulated on this campaign's levels, devices and "
          "read times ("
       << r.adequacy->replicates << " replicates, family-wise false alarm "
       << num(100 * r.adequacy->false_alarm) << "%): **" << r.adequacy->verdict << "**.\n";
  if (r.holdout)
    md << "\n## Held-out reads\n\nFitted on the reads before " << num(r.holdout_from_s)
       << " s only; the reads from then on against that model's prediction (the same check): **"
       << prediction_verdict(*r.holdout) << "**.\n";
  for (const std::string& w : r.warnings) md << "\nNote: " << w << "\n";
  md << "\n## Figures\n\n";
  for (const Figure& f : figures) md << "![" << f.name << "](" << f.name << ".png)\n\n";
  if (!files.figures_skipped.empty()) md << files.figures_skipped << "\n";
  files.report = dir / "report.md";
  outputs.add_text(files.report, md.str());
  return files;
}

ReportFiles write_calibration_report(const CalibrationResult& r, const fs::path& dir) {
  OutputSet outputs;
  ReportFiles files = add_calibration_report(r, dir, outputs);
  outputs.commit();
  return files;
}

}  // namespace pcmkit::calibration
